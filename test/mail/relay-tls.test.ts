// The relay with a certificate: STARTTLS is offered, and a password is taken
// only inside TLS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import { randomEmail, signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { swaks } from '../support/swaks.js';
import { selfSignedCertificate } from '../support/tls-certs.js';

let sink: MailSink;
let server: RunningServer;
let relayPort: number;
let sender: Sender;
const bob = randomEmail('Bob Brown');

beforeAll(async () => {
  const certificate = selfSignedCertificate(['127.0.0.1']);
  sink = await startMailSink();
  relayPort = await freePort();
  server = await startServer({
    MAIL_SMARTHOST: sink.url,
    SMTP_RELAY_PORT: String(relayPort),
    SMTP_TLS_CERT: certificate.cert,
    SMTP_TLS_KEY: certificate.key,
    RATE_LIMIT_MULTIPLIER: '100',
  });
  sender = await signUp(server.url);
});

afterAll(async () => {
  await server.stop();
  await sink.close();
});

/** The sender submits one message to Bob, with or without STARTTLS. */
const submit = (subject: string, tls: boolean) =>
  swaks({
    port: relayPort,
    user: sender.email,
    password: 'correct horse battery',
    from: sender.email,
    to: [bob],
    message: [`To: <${bob}>`, `Subject: ${subject}`, '', 'Over TLS.'].join('\r\n'),
    tls,
  });

describe('SMTP relay with a certificate', () => {
  it('offers STARTTLS and delivers what comes through it', async () => {
    const subject = `tls ${Date.now()}`;
    const result = await submit(subject, true);
    expect(result.transcript).toMatch(/250-STARTTLS/);
    expect(result.transcript).toMatch(/TLS started/);
    expect(result.transcript).toMatch(/250 2\.0\.0 Queued as/);
    // (The sink also has the sender's sign-up confirmation.)
    await expect
      .poll(() => sink.received.find((mail) => mail.to.includes(bob))?.raw.toString())
      .toContain(subject);
  });

  it('takes no password before STARTTLS', async () => {
    const result = await submit('clear', false);
    expect(result.transcript).not.toMatch(/235 /);
    expect(result.transcript).toMatch(/No authentication type succeeded/);
    expect(result.transcript).not.toMatch(/Queued as/);
  });
});
