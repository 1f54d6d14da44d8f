// The SMTP submission server senders point their mail program at. Only a
// logged-in sender may send (their password or an app password), only as
// themselves, and a message is on disk before the relay says 250.
import { Transform, type Readable } from 'node:stream';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import { matchPassword, TooManyChecksError } from '../security/password-checks.js';
import type { AccountStore } from '../store/account-store.js';
import type { AppPasswordStore } from '../store/app-password-store.js';
import type { DeliveryQueue, SpooledMessage } from './delivery-queue.js';
import type { MailSpool } from './mail-spool.js';
import { checkSenderHeaders, readHeaderBlock } from './sender-headers.js';

export interface RelayServerOptions {
  host: string;
  port: number;
  /** Greeting and EHLO name. */
  hostname: string;
  tls: { cert: string; key: string } | undefined;
  maxMessageBytes: number;
  /** Recipients one message may have (RFC 5321 asks servers to take at least 100). */
  maxRecipients: number;
  accounts: AccountStore;
  appPasswords: AppPasswordStore;
  limits: RateLimits;
  spool: MailSpool<SpooledMessage>;
  queue: DeliveryQueue;
  logger: Logger;
}

/** An SMTP reply: code and enhanced status text (RFC 3463). */
function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

interface Sender {
  accountId: number;
  email: string;
}

export class RelayServer {
  readonly #server: SMTPServer;
  readonly #options: RelayServerOptions;
  readonly #log: Logger;

  private constructor(options: RelayServerOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#server = new SMTPServer({
      name: options.hostname,
      banner: 'Voxreply mail relay',
      size: options.maxMessageBytes,
      // The library's own refusal of `SIZE=` at MAIL FROM carries no enhanced
      // code (they are off, as our replies write their own): hidden here, the
      // limit is checked in onMailFrom with the same reply as after DATA.
      // EHLO then advertises SIZE without its number (RFC 1870 allows it).
      hideSize: true,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: false,
      ...(options.tls
        ? { key: options.tls.key, cert: options.tls.cert }
        : // Without a certificate there is no STARTTLS; passwords then cross
          // in the clear, which only a relay on a trusted network may do.
          { disabledCommands: ['STARTTLS'], allowInsecureAuth: true }),
      logger: false,
      // Nothing here uses the client's host name; a slow resolver must not delay senders.
      disableReverseLookup: true,
      // Shutdown waits this long for open sessions before cutting them.
      closeTimeout: 2000,
      onAuth: (auth, session, done) => {
        this.#authenticate(auth.username ?? '', auth.password ?? '', session.remoteAddress).then(
          (sender) => done(null, { user: sender }),
          (error: unknown) => done(error as Error),
        );
      },
      onMailFrom: (address, session, done) => {
        const sender = senderOf(session);
        if (address.address.toLowerCase() !== sender.email)
          return done(smtpError(553, `5.7.1 You may send only as ${sender.email}`));
        const args: Record<string, unknown> = address.args || {};
        const declared = Number(args.SIZE ?? 0);
        if (declared > options.maxMessageBytes) return done(tooBig(options.maxMessageBytes));
        done();
      },
      onRcptTo: (_address, session, done) => {
        if (session.envelope.rcptTo.length >= options.maxRecipients)
          return done(smtpError(452, `4.5.3 At most ${options.maxRecipients} recipients`));
        done();
      },
      onData: (stream, session, done) => {
        this.#accept(stream, session).then(
          (id) => done(null, `2.0.0 Queued as ${id}`),
          (error: unknown) => done(error as Error),
        );
      },
    });
    this.#server.on('error', (error) => this.#log.warn({ err: error }, 'SMTP connection error'));
  }

  static async start(options: RelayServerOptions): Promise<RelayServer> {
    const relay = new RelayServer(options);
    await new Promise<void>((resolve, reject) => {
      relay.#server.server.once('error', reject);
      relay.#server.listen(options.port, options.host, () => {
        relay.#server.server.off('error', reject);
        resolve();
      });
    });
    options.logger.info(
      { host: options.host, port: relay.port, startTls: Boolean(options.tls) },
      'mail relay listening',
    );
    if (!options.tls && !isLoopback(options.host)) {
      options.logger.warn(
        'mail relay without SMTP_TLS_CERT on a network address: passwords cross the network in the clear',
      );
    }
    return relay;
  }

  get port(): number {
    const address = this.#server.server.address();
    return typeof address === 'object' && address ? address.port : this.#options.port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** The sender's own password, or one of their app passwords. */
  async #authenticate(username: string, password: string, address: string): Promise<Sender> {
    const { accounts, appPasswords, limits } = this.#options;
    const busy = () => smtpError(454, '4.7.0 Too many failed logins; try again later');
    // The checks this address has in flight are bounded first (synchronously, so
    // AUTH commands arriving together cannot all pass), then an attempt is
    // reserved against the failed-login limit before the password is checked,
    // and given back if it was right.
    const account = await limits.passwordChecks
      .run(address, async () => {
        if (!(await limits.reserve(limits.relayAuthPerIp, address))) throw busy();
        // One account per address (confirmed, else oldest): another account
        // naming the address, with a password its creator chose, relays nothing.
        const holder = await accounts.findByEmail(username);
        const byAppPassword = await appPasswords.accountFor(password);
        // Same scrypt work whether or not the address has an account.
        const match =
          holder && holder.id === byAppPassword
            ? holder
            : await matchPassword(password, holder ? [holder] : []);
        if (match) await limits.refund(limits.relayAuthPerIp, address);
        return match;
      })
      .catch((error: unknown) => {
        if (error instanceof TooManyChecksError) {
          this.#log.info({ remoteAddress: address }, 'mail relay login refused: too many at once');
          throw busy();
        }
        throw error;
      });
    if (!account) {
      this.#log.info({ remoteAddress: address }, 'mail relay login refused');
      throw smtpError(535, '5.7.8 Username and password not accepted');
    }
    return { accountId: account.id, email: account.email };
  }

  async #accept(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const { spool, queue, limits, maxMessageBytes } = this.#options;
    const sender = senderOf(session);
    try {
      await limits.take(limits.relayMessagesPerAccount, String(sender.accountId));
    } catch {
      stream.resume();
      throw smtpError(451, '4.7.1 Too many messages; try again later');
    }
    const now = new Date().toISOString();
    // Past the limit nothing more is written (smtp-server still reads the rest).
    const message = capped(stream, maxMessageBytes);
    const id = await spool
      .add(
        message.stream,
        {
          origin: 'relayed',
          accountId: sender.accountId,
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : sender.email,
          recipients: session.envelope.rcptTo.map((recipient) => recipient.address),
          receivedAt: now,
          attempts: 0,
          nextAttemptAt: now,
          lastError: null,
          subject: null,
          copies: null,
          bounceQueued: false,
        },
        async (file) => {
          if (message.exceeded()) throw tooBig(maxMessageBytes);
          await checkFromHeader(file, sender.email);
        },
      )
      .catch((error: unknown) => {
        if ((error as { responseCode?: unknown }).responseCode) throw error;
        this.#log.error({ err: error }, 'could not spool a message');
        throw smtpError(451, '4.3.0 Could not store the message; try again later');
      });
    this.#log.info(
      { spoolId: id, accountId: sender.accountId, to: session.envelope.rcptTo.length },
      'mail accepted',
    );
    queue.wake();
    return id;
  }
}

/** Both size refusals (declared at MAIL FROM, found after DATA): one reply. */
function tooBig(maxMessageBytes: number): Error & { responseCode: number } {
  return smtpError(552, `5.3.4 Message larger than ${Math.floor(maxMessageBytes / 1048576)} MB`);
}

/** The message stream, cut off (and the rest drained) once it passes `max` bytes. */
function capped(source: Readable, max: number): { stream: Readable; exceeded: () => boolean } {
  let bytes = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, bytes <= max ? chunk : undefined);
    },
  });
  return { stream: source.pipe(limiter), exceeded: () => bytes > max };
}

/**
 * A sender sends as themselves: every top-level From and Sender address must
 * be theirs, wherever it stands in a header block of bounded size.
 */
async function checkFromHeader(file: string, email: string): Promise<void> {
  checkSenderHeaders(await readHeaderBlock(file), email);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function senderOf(session: SMTPServerSession): Sender {
  return session.user as Sender;
}
