// Account basics against the built server and a real SMTP sink (ADR 025):
// "Forgot password?" answers alike for every address and mails a link only to
// an account's; the link resets once and ends every session (old cookies get
// 401, open sockets close); changing the password ends the other sessions;
// sessions are listed and logged out one by one; deleting an account (typed
// address) leaves its links "no longer working", its log-in gone, its call
// records without names or subjects, and another account untouched.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView, SessionsEnded } from '../../protocol/account-security.js';
import { REQUEST_HEADER } from '../../protocol/http.js';
import { LINK_NOT_WORKING } from '../../server/http/link-routes.js';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import {
  connect,
  connectCaller,
  createLink,
  ok,
  randomEmail,
  signUp,
  type Sender,
  type TestSocket,
} from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'violet tractor umbrella 42';
const RESET_SUBJECT = 'Reset your Voxreply password';

let sink: MailSink;
let server: RunningServer;
let url: string;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-account-'));

beforeAll(async () => {
  sink = await startMailSink();
  server = await startServer({
    RATE_LIMIT_MULTIPLIER: '100',
    MAIL_SMARTHOST: sink.url,
    SMTP_RELAY_PORT: String(await freePort()),
    DATA_DIR: dataDir,
  });
  url = server.url;
});

afterAll(async () => {
  await server.stop();
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (route: string, body: object, cookie = '') =>
  fetch(`${url}${route}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [REQUEST_HEADER]: '1',
      ...(cookie ? { cookie } : {}),
    },
    body: JSON.stringify(body),
  });

const cookieOf = (response: Response) =>
  (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

const logIn = (email: string, password: string) => post('/api/login', { email, password });

/** Another browser logged in to the same account. */
async function anotherSession(sender: Sender, password = PASSWORD): Promise<string> {
  const response = await logIn(sender.email, password);
  expect(response.status).toBe(200);
  return cookieOf(response);
}

const statusWith = async (cookie: string) =>
  (await fetch(`${url}/api/me`, { headers: { cookie } })).status;

/** Resolves once the socket is disconnected by the server. */
const disconnected = (socket: TestSocket) =>
  new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));

/** The reset tokens mailed to `to`, waiting for `count` of them. */
async function resetTokens(to: string, count = 1): Promise<string[]> {
  let tokens: string[] = [];
  await expect
    .poll(
      async () => {
        tokens = [];
        for (const mail of sink.received.filter((received) => received.to.includes(to))) {
          const parsed = await simpleParser(mail.raw);
          if (parsed.subject !== RESET_SUBJECT) continue;
          const token = /\/app#reset=([A-Za-z0-9_-]{43})/.exec(parsed.text ?? '')?.[1];
          if (token) tokens.push(token);
        }
        return tokens.length;
      },
      { timeout: 15_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return tokens;
}

describe('forgotten passwords', () => {
  it('answers alike for an unknown and a known address, and mails only the account', async () => {
    const ada = await signUp(url, 'Ada Lovelace');
    const stranger = randomEmail('Nobody Here');
    const known = await post('/api/password/forgot', { email: ada.email });
    const unknown = await post('/api/password/forgot', { email: stranger });
    expect(unknown.status).toBe(known.status);
    expect(known.status).toBe(202);
    expect(await unknown.text()).toBe(await known.text());
    expect(await resetTokens(ada.email)).toHaveLength(1);
    // The unknown address got nothing (the known one's mail came after it was asked).
    expect(sink.received.filter((mail) => mail.to.includes(stranger))).toEqual([]);
  });

  it('resets once, ends every session and its sockets, and refuses the link again', async () => {
    const ada = await signUp(url, 'Ada Lovelace');
    const other = await anotherSession(ada);
    const socket = await connect(url, other);
    const gone = disconnected(socket);
    // An app password (a mail program's relay log-in) made before, perhaps by whoever took the account.
    const made = await ada.api('POST', '/api/me/app-passwords', { label: 'Thunderbird' });
    expect(made.status, await made.text()).toBe(201);
    expect((await post('/api/password/forgot', { email: ada.email })).status).toBe(202);
    const [token = ''] = await resetTokens(ada.email);

    // A weak password is refused and does not spend the link.
    const weak = await post('/api/password/reset', { token, password: 'password1' });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as { error: { code: string } }).error.code).toBe('weak_password');

    expect((await post('/api/password/reset', { token, password: NEW_PASSWORD })).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    expect(await statusWith(ada.cookie)).toBe(401);
    expect(await statusWith(other)).toBe(401);
    expect((await logIn(ada.email, PASSWORD)).status).toBe(401);
    const fresh = await logIn(ada.email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    const cookie = (fresh.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const mail = await fetch(`${url}/api/me/mail`, { headers: { cookie } });
    expect(((await mail.json()) as { appPasswords: unknown[] }).appPasswords).toEqual([]);

    const again = await post('/api/password/reset', { token, password: 'another fine password 7' });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
  });
});

describe('a logged-in account', () => {
  it('changes its password and ends every other session, keeping this one', async () => {
    const ada = await signUp(url, 'Ada Lovelace');
    const other = await anotherSession(ada);
    const socket = await connect(url, other);
    const gone = disconnected(socket);
    const wrong = await ada.api('POST', '/api/me/password', {
      currentPassword: 'not my password',
      newPassword: NEW_PASSWORD,
    });
    expect(wrong.status).toBe(403);
    const changed = await ada.api('POST', '/api/me/password', {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(200);
    expect((await changed.json()) as SessionsEnded).toEqual({ ended: 1 });
    expect(await gone).toBe('io server disconnect');
    expect(await statusWith(other)).toBe(401);
    expect(await statusWith(ada.cookie)).toBe(200);
    expect((await logIn(ada.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('lists its sessions, marks this one, and logs out one or all others', async () => {
    const ada = await signUp(url, 'Ada Lovelace');
    const phone = await anotherSession(ada);
    const laptop = await anotherSession(ada);
    const phoneSocket = await connect(url, phone);
    const phoneGone = disconnected(phoneSocket);
    const list = async () =>
      (await (await ada.api('GET', '/api/me/sessions')).json()) as SessionView[];
    const sessions = await list();
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ clientAddress: expect.any(String) as string });

    // The phone's session is the one its own list marks current.
    const phoneList = (await (
      await fetch(`${url}/api/me/sessions`, { headers: { cookie: phone } })
    ).json()) as SessionView[];
    const phoneId = phoneList.find((session) => session.current)?.id ?? '';
    expect((await ada.api('DELETE', `/api/me/sessions/${phoneId}`)).status).toBe(204);
    expect(await phoneGone).toBe('io server disconnect');
    expect(await statusWith(phone)).toBe(401);
    expect(await statusWith(laptop)).toBe(200);
    expect((await ada.api('DELETE', `/api/me/sessions/${phoneId}`)).status).toBe(404);

    const ended = await ada.api('POST', '/api/me/sessions/end-others', {});
    expect((await ended.json()) as SessionsEnded).toEqual({ ended: 1 });
    expect(await statusWith(laptop)).toBe(401);
    expect((await list()).map((session) => session.current)).toEqual([true]);
  });

  it('deletes itself when its address is typed: links, log-in and personal data go', async () => {
    const ada = await signUp(url, 'Ada Lovelace');
    const grace = await signUp(url, 'Grace Hopper');
    await ada.api('PATCH', '/api/me/settings', { doNotDisturb: true });
    await grace.api('PATCH', '/api/me/settings', { doNotDisturb: true });
    const adaLink = await createLink(ada, { recipientName: 'Victor', subject: 'Salary review' });
    const graceLink = await createLink(grace, { recipientName: 'Victor', subject: 'Budget' });
    for (const token of [adaLink.token, graceLink.token]) {
      const caller = await connectCaller(url);
      ok(
        await caller.socket.emitWithAck('call:start', {
          token,
          callerName: 'Victor Victim',
          video: false,
        }),
      );
      await expect.poll(() => caller.stages.length).toBeGreaterThan(0);
      caller.socket.disconnect();
    }
    const callsOf = async (sender: Sender) =>
      ((await (await sender.api('GET', '/api/calls')).json()) as unknown[]).length;
    await expect.poll(() => callsOf(ada)).toBe(1);
    await expect.poll(() => callsOf(grace)).toBe(1);
    const adaId = ((await (await ada.api('GET', '/api/me')).json()) as { id: number }).id;
    const socket = await connect(url, ada.cookie);
    const gone = disconnected(socket);

    const mistyped = await ada.api('DELETE', '/api/me', { email: `x${ada.email}` });
    expect(mistyped.status).toBe(400);
    expect(await statusWith(ada.cookie)).toBe(200);
    expect((await ada.api('DELETE', '/api/me', { email: ada.email.toUpperCase() })).status).toBe(
      204,
    );
    expect(await gone).toBe('io server disconnect');
    expect(await statusWith(ada.cookie)).toBe(401);
    expect((await logIn(ada.email, PASSWORD)).status).toBe(401);
    const page = await fetch(`${url}/api/reply/${adaLink.token}`);
    expect(page.status).toBe(404);
    // The one answer for any link that does not work: nothing says the account existed.
    expect(await page.json()).toEqual({ error: { code: 'not_found', message: LINK_NOT_WORKING } });
    // Grace's link, and her record of the same caller, are untouched.
    expect((await fetch(`${url}/api/reply/${graceLink.token}`)).status).toBe(200);

    // The call records: Ada's stays (it counts), without the caller's name or subject.
    const db = new SQLite(path.join(dataDir, 'voxreply.sqlite'), { readonly: true });
    try {
      const adas = db
        .prepare('select caller_name, caller_email, subject from calls where account_id = ?')
        .all(adaId);
      expect(adas).toEqual([{ caller_name: '', caller_email: null, subject: null }]);
    } finally {
      db.close();
    }
    const graceHistory = (await (await grace.api('GET', '/api/calls')).json()) as {
      callerName: string;
      subject: string | null;
    }[];
    expect(graceHistory).toEqual([
      expect.objectContaining({ callerName: 'Victor Victim', subject: 'Budget' }),
    ]);
  });
});

describe('without a mail transport', () => {
  it('answers "forgot" the same and logs that no mail transport is configured', async () => {
    const bare = await startServer();
    try {
      const ada = await signUp(bare.url, 'Ada Lovelace');
      const answer = await fetch(`${bare.url}/api/password/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [REQUEST_HEADER]: '1' },
        body: JSON.stringify({ email: ada.email }),
      });
      expect(answer.status).toBe(202);
      await expect.poll(() => bare.output()).toMatch(/no mail transport is configured/);
      expect(bare.output()).not.toContain(ada.email);
    } finally {
      await bare.stop();
    }
  });
});
