// Relay AUTH against a crowd: many SMTP clients from one address log in at once
// with a wrong password. The failed-login limit must hold under concurrency
// (the attempt is reserved before the password is checked), and the hashing
// pool must stay free for everyone else: a log-in over HTTP from another
// address is answered while the crowd is still being refused.
// Raw sockets, because each client must send its AUTH at the same moment.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import { randomEmail, signUp } from '../support/sender.js';
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

interface SmtpClient {
  socket: Socket;
  /** Resolves with the next complete reply's code (multi-line replies collapsed). */
  reply: () => Promise<number>;
  /** Resolves with the next complete reply, every line of it. */
  replyText: () => Promise<string>;
}

function smtpClient(port: number, localAddress = '127.0.0.1'): Promise<SmtpClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let buffer = '';
    let lines: string[] = [];
    const waiting: ((reply: string) => void)[] = [];
    const replies: string[] = [];
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        lines.push(line);
        if (line[3] === '-') continue;
        const reply = lines.join('\n');
        lines = [];
        const waiter = waiting.shift();
        if (waiter) waiter(reply);
        else replies.push(reply);
      }
    });
    socket.once('error', reject);
    const replyText = (): Promise<string> => {
      const ready = replies.shift();
      return ready === undefined
        ? new Promise((done) => waiting.push(done))
        : Promise.resolve(ready);
    };
    const client: SmtpClient = {
      socket,
      reply: async () => Number((await replyText()).slice(0, 3)),
      replyText,
    };
    socket.once('connect', () => resolve(client));
  });
}

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

/** CPU seconds the server process has used, from its own counter on /metrics. */
async function serverCpuSeconds(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = /^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1];
  if (value === undefined) throw new Error('no process_cpu_seconds_total on /metrics');
  return Number(value);
}

const plain = (user: string, password: string) =>
  Buffer.from(`\0${user}\0${password}`).toString('base64');

describe('relay AUTH under a crowd from one address', () => {
  it('refuses past the failed-login limit and keeps the password checks for others', async () => {
    const ada = randomEmail('Ada Lovelace');
    await signUp(server.url, 'Ada Lovelace', ada);

    const clients = await Promise.all(Array.from({ length: CROWD }, () => smtpClient(relayPort)));
    for (const client of clients) expect(await client.reply()).toBe(220);
    for (const client of clients) client.socket.write('EHLO crowd.example\r\n');
    for (const client of clients) expect(await client.reply()).toBe(250);

    // Every wrong password leaves at once; the answers are counted as they come.
    const answers: number[] = [];
    const answered = clients.map(async (client) => {
      const code = await client.reply();
      answers.push(code);
      return code;
    });
    for (const client of clients) client.socket.write(`AUTH PLAIN ${plain(ada, 'wrong!')}\r\n`);
    // Meanwhile, someone elsewhere logs in over HTTP.
    const checkedBeforeHttp = answers.filter((code) => code === 535).length;
    const httpStatus = await logInFrom('127.0.0.2', ada, PASSWORD);
    const checkedWhileHttpWaited =
      answers.filter((code) => code === 535).length - checkedBeforeHttp;
    const codes = await Promise.all(answered);
    for (const client of clients) client.socket.destroy();

    const checked = codes.filter((code) => code === 535).length;
    const refused = codes.filter((code) => code === 454).length;
    expect(httpStatus).toBe(200);
    // At most the limit's worth of passwords were checked; the rest were told to wait.
    expect(checked).toBeLessThanOrEqual(20);
    expect(checked + refused).toBe(CROWD);
    // The HTTP log-in did not queue behind the crowd's password checks.
    expect(checkedWhileHttpWaited).toBeLessThanOrEqual(8);

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

  it('refuses an unknown address as a known one, after a real password check', async () => {
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
    const work = { known: 0, unknown: 0 };
    // Interleaved, so whatever else the server does touches both alike; few
    // enough to stay under the failed-login limit (and smtp-server's limit of
    // unauthenticated commands on one connection).
    for (let i = 0; i < 3; i++) {
      for (const [kind, user] of [
        ['known', grace],
        ['unknown', randomEmail('Nobody Here')],
      ] as const) {
        const before = await serverCpuSeconds();
        answers[kind].add(await refusal(user));
        work[kind] += (await serverCpuSeconds()) - before;
      }
    }
    client.socket.destroy();
    expect([...answers.known]).toEqual(['535 5.7.8 Username and password not accepted']);
    expect([...answers.unknown]).toEqual([...answers.known]);
    // The same scrypt work: a look-up that finds nothing costs a few ms of CPU,
    // a password check tens of ms, so an unknown address skipping the check
    // would cost a small fraction of a known one. CPU the server counts is work,
    // not waiting: a busy machine does not make one side look cheaper. (How
    // long each takes is measured by bench/account-discovery, not here.)
    expect(work.unknown).toBeGreaterThan(work.known / 3);
  });
});
