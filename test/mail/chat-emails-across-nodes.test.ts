// Chat emails from two nodes sharing one PostgreSQL and Redis, both scanning
// the same bursts: each burst is mailed once, never by both; a desk open on
// one node keeps the email of a message written on the other from going.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import { startNodes, type Nodes } from '../support/nodes.js';
import { connectDevice, createLink, ok, signUp } from '../support/sender.js';
import type { RunningServer } from '../support/server-process.js';
import { awaitMail, chatEmails, chatPage, everythingMailed, mailTo } from './offline-mail.js';

let sink: MailSink;
let cluster: Nodes;
let nodeA: RunningServer;
let nodeB: RunningServer;

beforeAll(async () => {
  sink = await startMailSink();
  const settings = { MAIL_SMARTHOST: sink.url, CHAT_EMAIL_AFTER_SECONDS: '2' };
  cluster = await startNodes(0);
  nodeA = await cluster.add({ ...settings, SMTP_RELAY_PORT: String(await freePort()) });
  nodeB = await cluster.add({ ...settings, SMTP_RELAY_PORT: String(await freePort()) });
});

afterAll(async () => {
  await cluster.stop();
  await sink.close();
});

describe('chat emails across nodes', () => {
  it('mail each burst once though both nodes scan for it', async () => {
    const senders = [];
    // One at a time: sign-ups' password hashing is bounded per address.
    for (const name of ['Ada Lovelace', 'Bea Brown', 'Cy Chen', 'Di Dahl', 'Ed Eng', 'Flo Fox'])
      senders.push(await signUp(nodeA.url, name));
    for (const [index, sender] of senders.entries()) {
      const link = await createLink(sender, { recipientName: 'Grace Hopper' });
      // Pages on either node.
      const page = await chatPage(index % 2 ? nodeB.url : nodeA.url, link.token);
      for (const text of ['one', 'two'])
        ok(await page.emitWithAck('chat:send', { token: link.token, text }));
      page.disconnect();
    }
    for (const sender of senders)
      await awaitMail(sink, sender.email, (s) => s.includes('chat message'));
    await everythingMailed({ server: nodeA, sink }, [nodeB]);
    for (const sender of senders)
      expect(chatEmails(await mailTo(sink, sender.email))).toHaveLength(1);
  });

  it('wait while the sender’s desk is open on the other node', async () => {
    const sender = await signUp(nodeA.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper' });
    const desk = await connectDevice(nodeA.url, sender, 'Laptop');
    const page = await chatPage(nodeB.url, link.token);
    ok(await page.emitWithAck('chat:send', { token: link.token, text: 'Across nodes' }));
    page.disconnect();
    await everythingMailed({ server: nodeB, sink }, [nodeA]);
    expect(chatEmails(await mailTo(sink, sender.email))).toEqual([]);

    desk.socket.disconnect();
    const mail = await awaitMail(sink, sender.email, (s) => s.includes('chat message'));
    expect(mail.text).toContain('Across nodes');
  });
});
