// "Ada is free now" by email (issue 19, part 2), against the built server
// relaying to a real SMTP sink: a recipient of a relayed email asks to be
// called back and closes the page; when the sender becomes available, one
// email in that email's thread brings them their own link. A page still open
// hears it there instead, and a link made in the desk never mails.
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
  type Sender,
  type TestSocket,
} from '../support/sender.js';
import {
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

/** A reply page on `token` that asks to be called back; `close`: then the page goes. */
async function askCallBack(token: string, close: boolean): Promise<TestSocket> {
  const page = await connect(url);
  sockets.push(page);
  ok(await page.emitWithAck('status:watch', { token }));
  ok(await page.emitWithAck('callback:request', { token, callerName: 'Grace' }));
  if (close) page.disconnect();
  return page;
}

/** The sender opens the desk and uses it: available. */
async function senderComesBack(sender: Sender): Promise<void> {
  const desk = await connectDevice(url, sender, 'Laptop');
  sockets.push(desk.socket);
  await desk.beat(0, true);
}

const freeNow = async (address: string) =>
  (await mailTo(relay.sink, address)).filter((mail) => mail.text?.includes('is free now'));

describe('the free-now email', () => {
  it('reaches a relayed email’s recipient who closed the page, once, in its thread', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const grace = randomEmail('Grace Hopper');
    const subject = `Offsite ${Date.now()}`;
    const tokens = await relayedLinks(relay, { sender, subject, to: [`Grace Hopper <${grace}>`] });
    const token = tokens.get(grace) ?? '';
    const copy = relay.sink.received.find(
      (mail) => mail.to.includes(grace) && mail.raw.includes(subject),
    );
    const relayedId = copy && (await simpleParser(copy.raw)).messageId;

    await askCallBack(token, true);
    await senderComesBack(sender);
    await expect.poll(async () => (await freeNow(grace)).length, { timeout: 20_000 }).toBe(1);
    const [mail] = await freeNow(grace);
    expect(mail?.subject).toBe(`Re: ${subject}`);
    expect(mail?.inReplyTo).toBe(relayedId);
    expect(mail?.from?.value[0]?.name).toBe('Ada Lovelace via Voxreply');
    expect(mail?.text).toContain(
      `Ada Lovelace is free now. You asked to be called back; call them: ${url}/r/${token}`,
    );

    // Free again later: the request was answered once; no second email.
    await senderComesBack(sender);
    await everythingMailed(relay);
    expect(await freeNow(grace)).toHaveLength(1);
  });

  it('tells an open page instead, and never mails for a link made in the desk', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const grace = randomEmail('Grace Hopper');
    const tokens = await relayedLinks(relay, {
      sender,
      subject: 'Lunch',
      to: [`Grace <${grace}>`],
    });
    const open = await askCallBack(tokens.get(grace) ?? '', false);
    const told: string[] = [];
    open.on('callback:free', ({ senderName }) => told.push(senderName));

    const bob = randomEmail('Bob');
    const typed = await createLink(sender, { recipientName: 'Bob', recipientEmail: bob });
    await askCallBack(typed.token, true);

    await senderComesBack(sender);
    await expect.poll(() => told).toEqual(['Ada Lovelace']);
    await everythingMailed(relay);
    expect(await freeNow(grace)).toEqual([]);
    expect(await freeNow(bob)).toEqual([]);
    const links = (await (await sender.api('GET', '/api/links')).json()) as LinkInfo[];
    expect(links.some((link) => link.recipientEmail === bob)).toBe(true);
  });
});
