// Chat bursts wait in the database, not in a timer: a server killed (SIGKILL)
// while a burst is pending mails it once after a restart on the same data.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import { createLink, ok, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { awaitMail, chatEmails, chatPage, everythingMailed, mailTo } from './offline-mail.js';

let dataDir: string;
let env: Record<string, string>;
let sink: MailSink;
let server: RunningServer | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-chat-restart-'));
  sink = await startMailSink();
  env = {
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    MAIL_SMARTHOST: sink.url,
    SMTP_RELAY_PORT: String(await freePort()),
    MAIL_RETRY_SECONDS: '1',
    RATE_LIMIT_MULTIPLIER: '100',
    // Long beside the kill that follows the messages (milliseconds), short to wait for.
    CHAT_EMAIL_AFTER_SECONDS: '5',
  };
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a pending chat burst', () => {
  it('is mailed once after the server was killed and started again', async () => {
    server = await startServer(env);
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper' });
    const page = await chatPage(server.url, link.token);
    for (const text of ['Before the crash', 'Still before it'])
      ok(await page.emitWithAck('chat:send', { token: link.token, text }));
    page.disconnect();
    await server.stop('SIGKILL');
    expect(chatEmails(await mailTo(sink, sender.email))).toEqual([]);

    server = await startServer(env);
    const mail = await awaitMail(sink, sender.email, (s) => s.includes('chat message'));
    expect(mail.subject).toBe('2 new chat messages from Grace Hopper');
    expect(mail.text).toContain('Before the crash');
    await everythingMailed({ server, sink });
    expect(chatEmails(await mailTo(sink, sender.email))).toHaveLength(1);
  });
});
