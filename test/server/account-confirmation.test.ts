// Who owns an address. Holding a link the relay mailed to it proves nothing (a
// forwarded email is enough): an address counts as confirmed only through the
// code mailed to it, "Your replies" shows nothing before, and the mailbox's
// real owner can claim an address someone else signed up with. Sign-up and
// log-in do not tell a stranger whether an address has an account (how long
// they take is measured by bench/account-discovery, not here), and common
// passwords are refused.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Me, MyReply } from '../../protocol/accounts.js';
import {
  relayedLinks,
  startRelayingServer,
  type RelayingServer,
} from '../support/relayed-links.js';
import { connectCaller, ok, randomEmail, signUp, type Sender } from '../support/sender.js';

let relay: RelayingServer;
let url: string;

beforeAll(async () => {
  relay = await startRelayingServer();
  url = relay.server.url;
});

afterAll(async () => {
  await relay.stop();
});

const post = (path: string, body: object, cookie = '') =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });

const cookieOf = (response: Response) =>
  (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

async function repliesOf(cookie: string): Promise<MyReply[]> {
  return (await (
    await fetch(`${url}/api/me/replies`, { headers: { cookie } })
  ).json()) as MyReply[];
}

/** CPU seconds the server process has used, from its own counter on /metrics. */
async function serverCpuSeconds(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = /^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1];
  if (value === undefined) throw new Error('no process_cpu_seconds_total on /metrics');
  return Number(value);
}

/** The confirmation code mailed to `to` for the sign-up made under `name`. */
async function confirmationCode(to: string, name: string): Promise<string> {
  let code = '';
  await expect
    .poll(
      async () => {
        for (const mail of relay.sink.received) {
          if (!mail.to.includes(to)) continue;
          const text = (await simpleParser(mail.raw)).text ?? '';
          if (!text.includes(`(name: ${name})`)) continue;
          code = /confirm=([A-Za-z0-9_-]{22,})/.exec(text)?.[1] ?? '';
          if (code) return true;
        }
        return false;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return code;
}

/** A call on the relayed link nobody answers (the sender is in do-not-disturb). */
async function unansweredCall(token: string): Promise<void> {
  const caller = await connectCaller(url);
  ok(await caller.socket.emitWithAck('call:start', { token, callerName: 'Grace', video: false }));
  await expect.poll(() => caller.stages.length).toBeGreaterThan(0);
  caller.socket.disconnect();
}

describe('confirming an address', () => {
  it('does not confirm an address for whoever holds a forwarded link; the owner claims it', async () => {
    const ada: Sender = await signUp(url, 'Ada Lovelace');
    await ada.api('PATCH', '/api/me/settings', { doNotDisturb: true });
    const victim = randomEmail('Victor Victim');
    const links = await relayedLinks(relay, {
      sender: ada,
      subject: `Salary review ${Date.now()}`,
      to: [`"Victor Victim" <${victim}>`],
    });
    const token = links.get(victim) ?? '';
    await unansweredCall(token);

    // Mallory got the mail forwarded and signs up from its link.
    const mallorySignUp = await post('/api/signup', {
      name: 'Mallory',
      email: victim,
      password: 'mallory was here 2026',
      fromLink: token,
    });
    expect(mallorySignUp.status).toBe(201);
    expect(((await mallorySignUp.json()) as Me).emailConfirmed).toBe(false);
    const mallory = cookieOf(mallorySignUp);
    expect(await repliesOf(mallory)).toEqual([]);

    // The real Victor signs up too: not refused, and the code reaches his mailbox.
    const victorSignUp = await post('/api/signup', {
      name: 'Victor Victim',
      email: victim,
      password: 'victor owns this mailbox',
    });
    expect(victorSignUp.status).toBe(201);
    const victor = cookieOf(victorSignUp);
    expect(await repliesOf(victor)).toEqual([]);
    const code = await confirmationCode(victim, 'Victor Victim');

    // A wrong code confirms nothing.
    expect((await post('/api/confirm', { code: 'A'.repeat(43) })).status).toBe(400);
    const confirmed = await post('/api/confirm', { code });
    expect(confirmed.status).toBe(200);
    expect(((await confirmed.json()) as Me).emailConfirmed).toBe(true);
    const replies = await repliesOf(victor);
    expect(replies).toEqual([
      expect.objectContaining({ senderName: 'Ada Lovelace', outcome: 'missed' }),
    ]);
    // A code works once.
    expect((await post('/api/confirm', { code })).status).toBe(400);

    // Mallory's account lost the address: nothing shown, and the address logs in to Victor only.
    expect(await repliesOf(mallory)).toEqual([]);
    expect(
      (await post('/api/login', { email: victim, password: 'mallory was here 2026' })).status,
    ).toBe(401);
    expect(
      (await post('/api/login', { email: victim, password: 'victor owns this mailbox' })).status,
    ).toBe(200);
  });
});

describe('not revealing accounts', () => {
  it('answers a sign-up for a taken address as for a free one', async () => {
    const taken = await signUp(url, 'Grace Hopper');
    const again = await post('/api/signup', {
      name: 'Someone',
      email: taken.email,
      password: 'another good passphrase',
    });
    const fresh = await post('/api/signup', {
      name: 'Someone',
      email: randomEmail('Nobody Yet'),
      password: 'another good passphrase',
    });
    expect(again.status).toBe(fresh.status);
    expect(again.status).toBe(201);
    const [a, b] = [(await again.json()) as Me, (await fresh.json()) as Me];
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(a.emailConfirmed).toBe(b.emailConfirmed);
    // The one who holds the address still logs in with their own password.
    expect(
      (await post('/api/login', { email: taken.email, password: 'correct horse battery' })).status,
    ).toBe(200);
  });

  it('refuses an unknown address as a known one, after a real password check', async () => {
    const known = await signUp(url, 'Alan Turing');
    const refusal = async (email: string) => {
      const response = await post('/api/login', { email, password: 'not the password' });
      return { status: response.status, body: await response.text() };
    };
    const answers = { known: new Set<string>(), unknown: new Set<string>() };
    const work = { known: 0, unknown: 0 };
    // Interleaved, so whatever else the server does touches both alike.
    for (let i = 0; i < 4; i++) {
      for (const [kind, email] of [
        ['known', known.email],
        ['unknown', randomEmail('Nobody Here')],
      ] as const) {
        const before = await serverCpuSeconds();
        const { status, body } = await refusal(email);
        work[kind] += (await serverCpuSeconds()) - before;
        expect(status).toBe(401);
        answers[kind].add(body);
      }
    }
    expect([...answers.unknown]).toEqual([...answers.known]);
    expect(answers.known.size).toBe(1);
    // The same scrypt work: a look-up that finds nothing costs a few ms of CPU,
    // a password check tens of ms, so an unknown address skipping the check
    // would cost a small fraction of a known one. CPU the server counts is work,
    // not waiting: a busy machine does not make one side look cheaper.
    expect(work.unknown).toBeGreaterThan(work.known / 3);
  });

  it('refuses common and trivial passwords with a typed error', async () => {
    for (const password of ['password', '12345678', '        ', 'qwertyuiop', 'aaaaaaaaaa']) {
      const response = await post('/api/signup', {
        name: 'Weak',
        email: randomEmail('Weak Password'),
        password,
      });
      expect(response.status, password).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('weak_password');
      expect(body.error.message).toMatch(/password/);
    }
  });
});
