// A receiving SMTP server for tests: the relay's smarthost. It keeps what it is
// given, and can be told to answer as a troubled server would.
import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
}

/** How the sink answers: take mail, defer it (4xx), refuse it (5xx), or hang at DATA. */
export type SinkMode = 'accept' | 'defer' | 'refuse' | 'stall';

export interface MailSink {
  port: number;
  url: string;
  received: ReceivedMail[];
  mode: SinkMode;
  /** Messages whose DATA the sink read to the end (whatever it then answered). */
  dataSeen: number;
  /** Addresses refused at RCPT TO (550) whatever the mode. */
  refuseRecipients: Set<string>;
  /** Addresses deferred at RCPT TO (451) whatever the mode. */
  deferRecipients: Set<string>;
  /** Resolves once `count` messages have arrived (or rejects after `ms`). */
  waitFor(count: number, ms?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startMailSink(port?: number): Promise<MailSink> {
  const listenPort = port ?? (await freePort());
  const waiters: (() => void)[] = [];
  const sink: MailSink = {
    port: listenPort,
    url: `smtp://127.0.0.1:${listenPort}`,
    received: [],
    mode: 'accept',
    dataSeen: 0,
    refuseRecipients: new Set(),
    deferRecipients: new Set(),
    waitFor: (count, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (sink.received.length < count) return false;
          clearTimeout(timer);
          resolve(sink.received);
          return true;
        };
        const timer = setTimeout(
          () => reject(new Error(`sink got ${sink.received.length} of ${count} messages`)),
          ms,
        );
        const waiter = () => {
          if (!check()) waiters.push(waiter);
        };
        waiter();
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const fail = (code: number, text: string) =>
    Object.assign(new Error(text), { responseCode: code });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 500,
    onRcptTo: (address, _session, done) => {
      if (sink.refuseRecipients.has(address.address.toLowerCase()))
        return done(fail(550, '5.1.1 No such user here'));
      if (sink.deferRecipients.has(address.address.toLowerCase()))
        return done(fail(451, '4.2.1 Mailbox busy, try again later'));
      done();
    },
    onData: (stream, session, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        sink.dataSeen += 1;
        if (sink.mode === 'stall') return; // never answers: the client times out or dies
        if (sink.mode === 'defer') return done(fail(451, '4.3.0 Try again later'));
        if (sink.mode === 'refuse') return done(fail(554, '5.7.1 Message refused'));
        sink.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks),
        });
        done();
        for (const waiter of waiters.splice(0)) waiter();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return sink;
}
