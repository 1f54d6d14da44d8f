// Delivery to the configured smarthost (MAIL_SMARTHOST) with nodemailer's SMTP
// transport. Each answer is sorted into what the queue needs to know: accepted,
// refused for good (5xx: bounce), or try again later (4xx, no connection).
import { createTransport } from 'nodemailer';
import type { Logger } from '../logger.js';

export interface Envelope {
  /** '' for the null sender (bounces). */
  from: string;
  to: string[];
}

export type SendResult =
  | { kind: 'sent'; refused: RefusedRecipient[] }
  | { kind: 'permanent'; error: string }
  | { kind: 'transient'; error: string };

export interface RefusedRecipient {
  address: string;
  error: string;
  /** 5xx: never (bounce); 4xx: not now (try again). */
  permanent: boolean;
}

export class Smarthost {
  readonly #transport: ReturnType<typeof smtpTransport>;
  readonly #log: Logger;

  constructor(url: string, logger: Logger) {
    this.#log = logger;
    this.#transport = smtpTransport(url);
  }

  async send(envelope: Envelope, message: Buffer): Promise<SendResult> {
    try {
      const info = await this.#transport.sendMail({
        envelope: { from: envelope.from, to: envelope.to },
        raw: message,
      });
      const refused = (info.rejectedErrors ?? []).map((error) => ({
        address: error.recipient ?? '',
        error: error.message,
        permanent: isPermanent(error.responseCode),
      }));
      return { kind: 'sent', refused };
    } catch (error) {
      const code = (error as { responseCode?: unknown }).responseCode;
      const message = error instanceof Error ? error.message : String(error);
      this.#log.warn({ err: error, to: envelope.to.length }, 'smarthost did not take a message');
      // Every recipient refused: nodemailer reports one code; 4xx among them means "later".
      const refusals = (error as { rejectedErrors?: { responseCode?: unknown }[] }).rejectedErrors;
      const permanent = refusals
        ? refusals.every((refusal) => isPermanent(refusal.responseCode))
        : isPermanent(code);
      return permanent
        ? { kind: 'permanent', error: message }
        : { kind: 'transient', error: message };
    }
  }

  close(): void {
    this.#transport.close();
  }
}

function smtpTransport(url: string) {
  return createTransport({
    url,
    // Connections are kept and reused: each new one costs a greeting (smtp
    // servers wait ~100 ms for early talkers) and, over TLS, a handshake.
    pool: true,
    maxConnections: 4, // as many as the queue delivers messages at once
    maxMessages: 100,
    // A stalled smarthost must not hold the queue for nodemailer's 10 minutes.
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
}

function isPermanent(code: unknown): boolean {
  return typeof code === 'number' && code >= 500 && code < 600;
}
