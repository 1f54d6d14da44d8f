// Chat messages that find people offline, against the built server relaying
// to a real SMTP sink: a burst left unread while its addressee has nothing
// open arrives as one email (to the sender with a link to the chat in the
// desk; to a relayed email's recipient with their own link, in that email's
// thread); nothing comes when it was read in time or the switch is off.
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LinkInfo } from '../../protocol/links.js';
import { relayedLinks } from '../support/relayed-links.js';
import {
  connect,
  connectDevice,
  createLink,
  ok,
  randomEmail,
  signUp,
  type TestSocket,
} from '../support/sender.js';
import {
  awaitMail,
  chatEmails,
  chatPage,
  everythingMailed,
  mailTo,
  startOfflineMailServer,
  type OfflineMailServer,
} from './offline-mail.js';

let relay: OfflineMailServer;
let url: string;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  relay = await startOfflineMailServer();
  url = relay.server.url;
});

afterAll(async () => {
  await relay.stop();
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

/** A reply page that writes `texts` on the link, then is closed. */
async function recipientWrites(token: string, texts: string[]): Promise<number[]> {
  const page = await chatPage(url, token);
  const ids: number[] = [];
  for (const text of texts) ids.push(ok(await page.emitWithAck('chat:send', { token, text })).id);
  page.disconnect();
  return ids;
}

describe('chat emails to the sender', () => {
  it('mail a burst of unread messages once, with a link to the chat in the desk', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper', subject: 'Q3 plan' });
    const texts = ['Hello Ada', 'Are the numbers final?', 'Call me when you can <3'];
    await recipientWrites(link.token, texts);

    const mail = await awaitMail(relay.sink, sender.email, (s) => s.includes('chat message'));
    expect(mail.subject).toBe('3 new chat messages from Grace Hopper');
    expect(mail.from?.value[0]?.address).toBe('voxreply@127.0.0.1');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : '').toBe(sender.email);
    const text = mail.text ?? '';
    for (const line of texts) expect(text).toContain(line);
    expect(text).toContain('about "Q3 plan"');
    expect(text).toContain(`${url}/app#chat-${link.id}`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.attachments).toEqual([]);

    await everythingMailed(relay);
    expect(chatEmails(await mailTo(relay.sink, sender.email))).toHaveLength(1);
  });

  it('send nothing when the sender read the messages in time', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper' });
    const ids = await recipientWrites(link.token, ['Hello', 'Still there?']);
    // The desk opens the chat and reads them (a tab: no device hello needed to read).
    const desk = await connect(url, sender.cookie);
    sockets.push(desk);
    ok(await desk.emitWithAck('chat:open', { linkId: link.id }));
    ok(await desk.emitWithAck('chat:read', { linkId: link.id, upToId: Math.max(...ids) }));
    desk.disconnect();

    await everythingMailed(relay);
    expect(chatEmails(await mailTo(relay.sink, sender.email))).toEqual([]);
  });

  it('send nothing when the sender turned chat emails off', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const off = await sender.api('PATCH', '/api/me/settings', { chatEmails: false });
    expect(off.status).toBe(200);
    expect(((await off.json()) as { settings: { chatEmails: boolean } }).settings.chatEmails).toBe(
      false,
    );
    const link = await createLink(sender, { recipientName: 'Grace Hopper' });
    await recipientWrites(link.token, ['Hello', 'Anyone?']);

    await everythingMailed(relay);
    expect(chatEmails(await mailTo(relay.sink, sender.email))).toEqual([]);
  });

  it('wait while a desk is open, and mail the unread burst once the desk is closed', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper' });
    const desk = await connectDevice(url, sender, 'Laptop');
    sockets.push(desk.socket);
    await recipientWrites(link.token, ['Seen this?']);

    await everythingMailed(relay);
    expect(chatEmails(await mailTo(relay.sink, sender.email))).toEqual([]);

    desk.socket.disconnect();
    const mail = await awaitMail(relay.sink, sender.email, (s) => s.includes('chat message'));
    expect(mail.subject).toBe('New chat message from Grace Hopper');
    expect(mail.text).toContain('Seen this?');
  });
});

describe('chat emails to a recipient', () => {
  it('mail the sender’s reply to the recipient of a relayed email, with their own link, in its thread', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const grace = randomEmail('Grace Hopper');
    const subject = `Budget review ${Date.now()}`;
    const tokens = await relayedLinks(relay, {
      sender,
      subject,
      to: [`Grace Hopper <${grace}>`],
    });
    const token = tokens.get(grace) ?? '';
    // The Message-ID the recipient's copy carries (the relay added it: the mail had none).
    const copy = relay.sink.received.find(
      (mail) => mail.to.includes(grace) && mail.raw.includes(subject),
    );
    const relayedId = copy && (await simpleParser(copy.raw)).messageId;
    expect(relayedId).toMatch(/^<.+@.+>$/);

    const links = (await (await sender.api('GET', '/api/links')).json()) as LinkInfo[];
    const link = links.find((each) => each.recipientEmail === grace);
    if (!link) throw new Error('no link for the recipient');
    const desk = await connect(url, sender.cookie);
    sockets.push(desk);
    ok(await desk.emitWithAck('chat:send', { linkId: link.id, text: 'Thursday works, Grace.' }));
    desk.disconnect();

    const mail = await awaitMail(relay.sink, grace, (s) => s === `Re: ${subject}`);
    expect(mail.from?.value[0]).toEqual({
      name: 'Ada Lovelace via Voxreply',
      address: 'voxreply@127.0.0.1',
    });
    expect(mail.inReplyTo).toBe(relayedId);
    expect(mail.references).toBe(relayedId);
    expect(mail.text).toContain('Thursday works, Grace.');
    expect(mail.text).toContain(`${url}/r/${token}`);

    await everythingMailed(relay);
    const replies = (await mailTo(relay.sink, grace)).filter((m) => m.subject === `Re: ${subject}`);
    expect(replies).toHaveLength(1);
  });

  it('send nothing to an address the sender typed into a link of their own', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const typed = randomEmail('Grace Hopper');
    const link = await createLink(sender, { recipientEmail: typed, recipientName: 'Grace' });
    const desk = await connect(url, sender.cookie);
    sockets.push(desk);
    ok(await desk.emitWithAck('chat:send', { linkId: link.id, text: 'Hello?' }));
    desk.disconnect();

    await everythingMailed(relay);
    expect(await mailTo(relay.sink, typed)).toEqual([]);
  });
});
