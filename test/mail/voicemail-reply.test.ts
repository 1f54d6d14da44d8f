// A voice message about a relayed email reaches the sender's mailbox as a reply
// in that email's thread (the built server relaying to a real SMTP sink, read
// back with mailparser as a mail program shows it): In-Reply-To/References are
// the relayed message's Message-ID, the subject "Re: <subject>", the recording
// is attached byte for byte, and a link plays it in the desk. A voice message
// on a link no relayed email carried keeps the plain notice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoicemailUploaded } from '../../protocol/voicemail.js';
import { opusTone } from '../support/opus-files.js';
import { createLink, randomEmail, signUp, type Sender } from '../support/sender.js';
import { swaks } from '../support/swaks.js';
import { awaitMail, startOfflineMailServer, type OfflineMailServer } from './offline-mail.js';

let relay: OfflineMailServer;
let url: string;
const tone = opusTone(2);

beforeAll(async () => {
  relay = await startOfflineMailServer();
  url = relay.server.url;
});

afterAll(async () => {
  await relay.stop();
});

/** Mails `to` through the relay as the sender's mail program; the copy as it arrived. */
async function relayMail(sender: Sender, to: string, subject: string, messageId?: string) {
  const result = await swaks({
    port: relay.relayPort,
    user: sender.email,
    password: 'correct horse battery',
    from: sender.email,
    to: [to],
    message: [
      `From: Ada Lovelace <${sender.email}>`,
      `To: Grace Hopper <${to}>`,
      `Subject: ${subject}`,
      ...(messageId ? [`Message-ID: ${messageId}`] : []),
      '',
      'The numbers are attached to the call.',
    ].join('\r\n'),
  });
  expect(result.transcript).toMatch(/Queued as/);
  const copy = await awaitMail(relay.sink, to, (s) => s === subject);
  const token = /\/r\/([A-Za-z0-9_-]{22})/.exec(copy.text ?? '')?.[1];
  if (!token) throw new Error('the copy carries no reply link');
  return { copy, token };
}

async function leaveVoiceMessage(token: string): Promise<string> {
  const query = new URLSearchParams({
    callerName: 'Grace Hopper',
    key: `key-${Date.now()}-vm-reply`,
  });
  const response = await fetch(`${url}/api/reply/${token}/voicemail?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'audio/ogg' },
    body: new Uint8Array(tone),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as VoicemailUploaded).id;
}

describe('a voice message about a relayed email', () => {
  it('arrives as a reply in the email’s thread with the recording attached', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const grace = randomEmail('Grace Hopper');
    const subject = `Q3 plan: numbers ${Date.now()}`;
    const messageId = `<q3-plan-${Date.now()}@mail.ada.example.org>`;
    const { copy, token } = await relayMail(sender, grace, subject, messageId);
    // The mail program's own Message-ID is what the recipient's copy carries.
    expect(copy.messageId).toBe(messageId);

    const id = await leaveVoiceMessage(token);
    const reply = await awaitMail(relay.sink, sender.email, (s) => s === `Re: ${subject}`);
    expect(reply.inReplyTo).toBe(messageId);
    expect(reply.references).toBe(messageId);
    expect(reply.from?.value[0]).toEqual({
      name: 'Grace Hopper via Voxreply',
      address: 'voxreply@127.0.0.1',
    });
    // Replying to it writes to the recipient, in the same thread.
    expect(reply.replyTo?.value[0]).toEqual({ name: 'Grace Hopper', address: grace });
    expect(reply.text).toContain(`${url}/app#voicemail-${id}`);
    expect(reply.text).toContain('(0:02)');

    expect(reply.attachments).toHaveLength(1);
    const [attachment] = reply.attachments;
    expect(attachment?.contentType).toBe('audio/ogg');
    expect(attachment?.filename).toBe('voice-message.ogg');
    const stored = await sender.api('GET', `/api/voicemails/${id}/audio`);
    expect(stored.status).toBe(200);
    const bytes = Buffer.from(await stored.arrayBuffer());
    expect(bytes.equals(tone)).toBe(true);
    expect(attachment?.content.equals(bytes)).toBe(true);
  });

  it('names the Message-ID the relay added when the mail program set none', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const grace = randomEmail('Grace Hopper');
    const subject = `No id ${Date.now()}`;
    const { copy, token } = await relayMail(sender, grace, subject);
    expect(copy.messageId).toMatch(/^<[^@]+@127\.0\.0\.1>$/);

    await leaveVoiceMessage(token);
    const reply = await awaitMail(relay.sink, sender.email, (s) => s === `Re: ${subject}`);
    expect(reply.inReplyTo).toBe(copy.messageId);
    expect(reply.references).toBe(copy.messageId);
  });
});

describe('a voice message on a link no relayed email carried', () => {
  it('keeps the plain notice', async () => {
    const sender = await signUp(url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper', subject: 'Q3 plan' });
    await leaveVoiceMessage(link.token);
    const notice = await awaitMail(relay.sink, sender.email, (s) => s.startsWith('Voice message'));
    expect(notice.subject).toBe('Voice message from Grace Hopper');
    expect(notice.inReplyTo).toBeUndefined();
    expect(notice.attachments).toEqual([]);
    expect(notice.text).toContain('About: Q3 plan');
    expect(notice.text).toContain(`${url}/app#voicemail-title`);
  });
});
