// Mail through the server's SMTP relay, as a sender's mail program sends it;
// the link tokens in the copies that reach the sink, by recipient.
import { expect } from 'vitest';
import { freePort } from './free-port.js';
import { startMailSink, type MailSink } from './mail-sink.js';
import type { Sender } from './sender.js';
import { startServer, type RunningServer } from './server-process.js';
import { swaks } from './swaks.js';

/** The built server with its SMTP relay on, delivering to a sink. */
export interface RelayingServer {
  server: RunningServer;
  sink: MailSink;
  relayPort: number;
  stop: () => Promise<void>;
}

/** Starts a sink and the server relaying to it (rate limits lifted 100×). */
export async function startRelayingServer(): Promise<RelayingServer> {
  const sink = await startMailSink();
  const relayPort = await freePort();
  const server = await startServer({
    RATE_LIMIT_MULTIPLIER: '100',
    MAIL_SMARTHOST: sink.url,
    SMTP_RELAY_PORT: String(relayPort),
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

export interface RelayedMail {
  sender: Sender;
  subject: string;
  /** "Name <address>" or a bare address, as the headers name them. */
  to: string[];
  cc?: string[];
  /** Envelope-only recipients (no header names them). */
  bcc?: string[];
}

/** Sends the mail; resolves with each recipient address's link token once every copy arrived. */
export async function relayedLinks(
  relay: Pick<RelayingServer, 'sink' | 'relayPort'>,
  mail: RelayedMail,
): Promise<Map<string, string>> {
  const named = [...mail.to, ...(mail.cc ?? [])];
  const envelope = [...named.map(addressOf), ...(mail.bcc ?? [])];
  const result = await swaks({
    port: relay.relayPort,
    user: mail.sender.email,
    password: 'correct horse battery',
    from: mail.sender.email,
    to: envelope,
    message: [
      `From: ${mail.sender.email}`,
      `To: ${mail.to.join(', ')}`,
      ...(mail.cc?.length ? [`Cc: ${mail.cc.join(', ')}`] : []),
      `Subject: ${mail.subject}`,
      '',
      'See you on the call.',
    ].join('\r\n'),
  });
  expect(result.transcript).toMatch(/Queued as/);
  const tokens = new Map<string, string>();
  const deadline = Date.now() + 15_000;
  while (tokens.size < envelope.length) {
    for (const copy of relay.sink.received) {
      const raw = copy.raw.toString();
      const token = /\/r\/([A-Za-z0-9_-]{22})/.exec(raw)?.[1];
      const recipient = copy.to[0];
      if (token && recipient && raw.includes(mail.subject)) tokens.set(recipient, token);
    }
    if (Date.now() > deadline) throw new Error(`${tokens.size} of ${envelope.length} copies came`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return tokens;
}

function addressOf(recipient: string): string {
  return /<([^>]+)>/.exec(recipient)?.[1] ?? recipient;
}
