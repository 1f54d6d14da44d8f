// Relay AUTH against a crowd: many SMTP clients from one address log in at once
// with a wrong password. The failed-login limit must hold under concurrency
// (the attempt is reserved before the password is checked), and the hashing
// pool must stay usable for everyone else: a log-in over HTTP from another
// address, sent while the crowd is being refused, is let in (how long it
// waits is a measurement for bench/, not an assertion here).
// Raw sockets, because each client must send its AUTH at the same moment.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import { randomEmail, signUp } from '../support/sender.js';
import { authPlain as plain, smtpClient } from '../support/smtp-client.js';
import { startServer, type RunningServer } from '../support/server-process.js';

const PASSWORD = 'correct horse battery';
const CROWD = 150;

let sink: MailSink;
let server: RunningServer;
let relayPort: number;

beforeAll(async () => {
  sink = await startMailSink();
  relayPort = await freePort();
  // Default limits: 20 failed relay log-ins a minute per address.
  server = await startServer({ MAIL_SMARTHOST: sink.url, SMTP_RELAY_PORT: String(relayPort) });
});

afterAll(async () => {
  await server.stop();
  await sink.close();
});

/** POST /api/login from a chosen local address (127.0.0.2 is "another address"). */
function logInFrom(localAddress: string, email: string, password: string): Promise<number> {
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        localAddress,
        method: 'POST',
        path: '/api/login',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('relay AUTH under a crowd from one address', () => {
  it('refuses past the failed-login limit and keeps the password checks for others', async () => {
    const ada = randomEmail('Ada Lovelace');
    await signUp(server.url, 'Ada Lovelace', ada);

    const clients = await Promise.all(Array.from({ length: CROWD }, () => smtpClient(relayPort)));
    for (const client of clients) expect(await client.reply()).toBe(220);
    for (const client of clients) client.socket.write('EHLO crowd.example\r\n');
    for (const client of clients) expect(await client.reply()).toBe(250);

    // Every wrong password leaves at once.
    const answered = clients.map((client) => client.reply());
    for (const client of clients) client.socket.write(`AUTH PLAIN ${plain(ada, 'wrong!')}\r\n`);
    // Meanwhile, someone elsewhere logs in over HTTP: answered, and let in.
    const httpStatus = await logInFrom('127.0.0.2', ada, PASSWORD);
    const codes = await Promise.all(answered);
    for (const client of clients) client.socket.destroy();

    const checked = codes.filter((code) => code === 535).length;
    const refused = codes.filter((code) => code === 454).length;
    expect(httpStatus).toBe(200);
    // At most the limit's worth of passwords were checked; the rest were told to wait.
    expect(checked).toBeLessThanOrEqual(20);
    expect(checked + refused).toBe(CROWD);

    // Attempts one after another spend the rest of the limit, then are refused,
    // and so is the right password until the minute is over.
    const attempt = async (password: string) => {
      const client = await smtpClient(relayPort);
      expect(await client.reply()).toBe(220);
      client.socket.write('EHLO later.example\r\n');
      expect(await client.reply()).toBe(250);
      client.socket.write(`AUTH PLAIN ${plain(ada, password)}\r\n`);
      const code = await client.reply();
      client.socket.destroy();
      return code;
    };
    const sequential: number[] = [];
    for (let i = 0; i < 25; i++) sequential.push(await attempt('wrong!'));
    expect(checked + sequential.filter((code) => code === 535).length).toBe(20);
    expect(sequential.at(-1)).toBe(454);
    expect(await attempt(PASSWORD)).toBe(454);
  });

  it('refuses an unknown address as a known one', async () => {
    const grace = randomEmail('Grace Hopper');
    await signUp(server.url, 'Grace Hopper', grace);
    // From an address the crowd above did not spend.
    const client = await smtpClient(relayPort, '127.0.0.3');
    expect(await client.reply()).toBe(220);
    client.socket.write('EHLO discovery.example\r\n');
    expect(await client.reply()).toBe(250);
    const refusal = async (user: string) => {
      client.socket.write(`AUTH PLAIN ${plain(user, 'not the password')}\r\n`);
      return client.replyText();
    };
    const answers = { known: new Set<string>(), unknown: new Set<string>() };
    // Few enough to stay under the failed-login limit (and smtp-server's limit
    // of unauthenticated commands on one connection). How long each takes is
    // measured by bench/account-discovery, not here.
    for (let i = 0; i < 3; i++) {
      answers.known.add(await refusal(grace));
      answers.unknown.add(await refusal(randomEmail('Nobody Here')));
    }
    client.socket.destroy();
    expect([...answers.known]).toEqual(['535 5.7.8 Username and password not accepted']);
    expect([...answers.unknown]).toEqual([...answers.known]);
  });
});
