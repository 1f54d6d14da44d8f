// For the offline-email tests (chat emails, voice messages in the thread): the
// built server relaying to a sink, with chat emails after a short quiet
// period, and the sink's mail as a reader's mail program shows it.
import { simpleParser, type ParsedMail } from 'mailparser';
import { expect } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import { connect, createLink, ok, signUp, type TestSocket } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

export interface OfflineMailServer {
  server: RunningServer;
  sink: MailSink;
  relayPort: number;
  stop: () => Promise<void>;
}

/** A short quiet period: the tests shorten the 5 minutes by configuration, and time nothing. */
export const QUIET_SECONDS = 2;

export async function startOfflineMailServer(): Promise<OfflineMailServer> {
  const sink = await startMailSink();
  const relayPort = await freePort();
  const server = await startServer({
    RATE_LIMIT_MULTIPLIER: '100',
    MAIL_SMARTHOST: sink.url,
    SMTP_RELAY_PORT: String(relayPort),
    MAIL_RETRY_SECONDS: '1',
    CHAT_EMAIL_AFTER_SECONDS: String(QUIET_SECONDS),
  });
  return {
    server,
    sink,
    relayPort,
    stop: async () => {
      await server.stop();
      await sink.close();
    },
  };
}

/** Every message the sink took for `address`, parsed, in arrival order. */
export async function mailTo(sink: MailSink, address: string): Promise<ParsedMail[]> {
  const raw = sink.received.filter((mail) => mail.to.includes(address)).map((mail) => mail.raw);
  return Promise.all(raw.map((bytes) => simpleParser(bytes)));
}

/** Waits for a message to `address` whose subject passes `subject`; returns it. */
export async function awaitMail(
  sink: MailSink,
  address: string,
  subject: (subject: string) => boolean,
): Promise<ParsedMail> {
  let found: ParsedMail | undefined;
  await expect
    .poll(
      async () => {
        found = (await mailTo(sink, address)).find((mail) => subject(mail.subject ?? ''));
        return found !== undefined;
      },
      { timeout: 20_000, interval: 100 },
    )
    .toBe(true);
  if (!found) throw new Error(`no mail to ${address}`);
  return found;
}

async function mailQueue(server: RunningServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^voxreply_mail_queue (\d+)/m.exec(text)?.[1] ?? NaN);
}

/**
 * Everything the server was going to email about what happened so far has
 * arrived: a new burst, written now, is due after every earlier one and bursts
 * are settled in the order they fall due, so once its email is in and the
 * queue is empty (on every node named), an email that has not come will not
 * come. No clock involved.
 */
export async function everythingMailed(
  relay: Pick<OfflineMailServer, 'server' | 'sink'>,
  otherNodes: RunningServer[] = [],
): Promise<void> {
  const marker = await signUp(relay.server.url, 'Mark Marker');
  const link = await createLink(marker, { recipientName: 'Molly' });
  const page = await chatPage(relay.server.url, link.token);
  ok(await page.emitWithAck('chat:send', { token: link.token, text: 'marker' }));
  page.disconnect();
  await awaitMail(relay.sink, marker.email, (subject) => subject.includes('chat message'));
  for (const node of [relay.server, ...otherNodes])
    await expect.poll(() => mailQueue(node), { timeout: 20_000 }).toBe(0);
}

/** A reply page with the chat of its link open. */
export async function chatPage(url: string, token: string): Promise<TestSocket> {
  const page = await connect(url);
  ok(await page.emitWithAck('chat:open', { token }));
  return page;
}

/** The chat emails (their subjects say so) among `mails`. */
export function chatEmails(mails: ParsedMail[]): ParsedMail[] {
  return mails.filter((mail) => /chat message/.test(mail.subject ?? ''));
}
