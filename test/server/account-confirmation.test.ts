// Who owns an address. Holding a link the relay mailed to it proves nothing (a
// forwarded email is enough): an address counts as confirmed only through the
// code mailed to it, used by the account it was issued to, "Your replies" shows
// nothing before, and the mailbox's real owner can claim an address someone
// else signed up with. An address logs in (HTTP and relay AUTH) to one account
// only: its confirmed one, else its oldest. Confirmation mails are limited per
// address and carry nothing the sign-up typed. Sign-up and log-in do not tell a
// stranger whether an address has an account (how long they take is measured
// by bench/account-discovery, not here), and common passwords are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfirmationSent, Me, MyReply } from '../../protocol/accounts.js';
import {
  codeOf,
  confirmationLink,
  confirmationLinks,
  confirmationMails,
} from '../support/confirmation.js';
import {
  relayedLinks,
  startRelayingServer,
  type RelayingServer,
} from '../support/relayed-links.js';
import { connectCaller, ok, randomEmail, signUp, type Sender } from '../support/sender.js';
import { relayLogIn } from '../support/smtp-client.js';

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

/** The account a session cookie belongs to. */
async function meOf(cookie: string): Promise<Me> {
  return (await (await fetch(`${url}/api/me`, { headers: { cookie } })).json()) as Me;
}

const confirm = (code: string, cookie = '', password?: string) =>
  post('/api/confirm', { code, ...(password === undefined ? {} : { password }) }, cookie);

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
      name: 'Mallory: your account is locked, call +1 555 0100',
      email: victim,
      password: 'mallory was here 2026',
      fromLink: token,
    });
    expect(mallorySignUp.status).toBe(201);
    expect(((await mallorySignUp.json()) as Me).emailConfirmed).toBe(false);
    const mallory = cookieOf(mallorySignUp);
    expect(await repliesOf(mallory)).toEqual([]);

    // The real Victor signs up too: not refused, and a code reaches his mailbox
    // (Mallory's sign-up sent one there too).
    const victorSignUp = await post('/api/signup', {
      name: 'Victor Victim',
      email: victim,
      password: 'victor owns this mailbox',
    });
    expect(victorSignUp.status).toBe(201);
    const victor = cookieOf(victorSignUp);
    expect(await repliesOf(victor)).toEqual([]);
    const codes = (await confirmationLinks(relay.sink, victim, 2)).map(codeOf);

    // A wrong code confirms nothing; without the account's session or password
    // neither does a right one, and it is not spent.
    expect((await confirm('A'.repeat(43))).status).toBe(400);
    for (const code of codes) {
      const refused = await confirm(code);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toMatch(/log in as the account that signed up/i);
    }
    // Victor opens the mail in another browser: his password stands for his
    // session. It opens only the code issued to his account (the other is
    // Mallory's: he is told the password is wrong for it).
    const answers = await Promise.all(
      codes.map(async (code) => {
        const response = await confirm(code, '', 'victor owns this mailbox');
        return { code, response, body: (await response.json()) as Me };
      }),
    );
    expect(answers.map(({ response }) => response.status).sort()).toEqual([200, 403]);
    const mine = answers.find(({ response }) => response.status === 200);
    expect(mine?.body).toMatchObject({
      email: victim,
      name: 'Victor Victim',
      emailConfirmed: true,
    });
    // Logged in by it, as Victor.
    const victorElsewhere = cookieOf(mine?.response ?? new Response());
    expect((await meOf(victorElsewhere)).id).toBe((await meOf(victor)).id);
    const replies = await repliesOf(victor);
    expect(replies).toEqual([
      expect.objectContaining({ senderName: 'Ada Lovelace', outcome: 'missed' }),
    ]);
    // A code works once.
    expect((await confirm(mine?.code ?? '', victor)).status).toBe(400);
    // Nothing Mallory typed reached Victor's mailbox.
    for (const mail of await confirmationMails(relay.sink, victim))
      expect(mail.text).not.toContain('Mallory');

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

  it('refuses an unknown address as a known one', async () => {
    const known = await signUp(url, 'Alan Turing');
    const refusal = async (email: string) => {
      const response = await post('/api/login', { email, password: 'not the password' });
      return `${response.status} ${await response.text()}`;
    };
    const answers = { known: new Set<string>(), unknown: new Set<string>() };
    for (let i = 0; i < 3; i++) {
      answers.known.add(await refusal(known.email));
      answers.unknown.add(await refusal(randomEmail('Nobody Here')));
    }
    expect([...answers.known]).toEqual([expect.stringMatching(/^401 /)]);
    expect([...answers.unknown]).toEqual([...answers.known]);
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

describe('one account per address', () => {
  const STRANGER = 'mallory was here 2026';

  it('logs in and relays as an address only with its confirmed account’s password', async () => {
    const ada = await signUp(url, 'Ada Lovelace');
    expect(
      (await confirm(codeOf(await confirmationLink(relay.sink, ada.email)), ada.cookie)).status,
    ).toBe(200);
    // Mallory signs up with Ada's confirmed address and a password of her own.
    const mallory = await post('/api/signup', {
      name: 'Mallory',
      email: ada.email,
      password: STRANGER,
    });
    expect(mallory.status).toBe(201);
    expect((await post('/api/login', { email: ada.email, password: STRANGER })).status).toBe(401);
    expect(await relayLogIn(relay.relayPort, ada.email, STRANGER)).toBe(535);
    // Ada still logs in, to her own account.
    const adaLogIn = await post('/api/login', {
      email: ada.email,
      password: 'correct horse battery',
    });
    expect(adaLogIn.status).toBe(200);
    expect((await meOf(cookieOf(adaLogIn))).id).toBe((await meOf(ada.cookie)).id);
    expect(await relayLogIn(relay.relayPort, ada.email, 'correct horse battery')).toBe(235);
  });

  it('logs in as an unconfirmed address only to its oldest account', async () => {
    const first = await signUp(url, 'Ada Lovelace');
    const later = await post('/api/signup', {
      name: 'Mallory',
      email: first.email,
      password: STRANGER,
    });
    expect(later.status).toBe(201);
    expect((await post('/api/login', { email: first.email, password: STRANGER })).status).toBe(401);
    expect(await relayLogIn(relay.relayPort, first.email, STRANGER)).toBe(535);
    expect(await relayLogIn(relay.relayPort, first.email, 'correct horse battery')).toBe(235);
  });
});

describe('a confirmation link and its account', () => {
  it('does not confirm a stranger’s account when the owner clicks the mail it caused', async () => {
    // Ada holds the address (oldest account); she has not confirmed it yet.
    const ada = await signUp(url, 'Ada Lovelace');
    const adaId = (await meOf(ada.cookie)).id;
    const mallory = await post('/api/signup', {
      name: 'Mallory',
      email: ada.email,
      password: 'mallory was here 2026',
    });
    expect(mallory.status).toBe(201);
    const malloryId = ((await mallory.json()) as Me).id;
    // Two links in Ada's inbox: her own and the one Mallory's sign-up caused.
    // Logged in as Ada, she clicks both: only her own confirms, and it is hers.
    const answers = await Promise.all(
      (await confirmationLinks(relay.sink, ada.email, 2)).map(async (link) => {
        const response = await confirm(codeOf(link), ada.cookie);
        return {
          status: response.status,
          body: (await response.json()) as Me & { error?: { code: string } },
        };
      }),
    );
    expect(answers.map(({ status }) => status).sort()).toEqual([200, 403]);
    expect(answers.find(({ status }) => status === 200)?.body).toMatchObject({
      id: adaId,
      emailConfirmed: true,
    });
    expect(answers.find(({ status }) => status === 403)?.body.error?.code).toBe('forbidden');
    // Mallory's account stays unconfirmed and lost the address.
    expect((await meOf(cookieOf(mallory))).id).toBe(malloryId);
    expect((await meOf(cookieOf(mallory))).emailConfirmed).toBe(false);
    expect((await meOf(cookieOf(mallory))).email).not.toBe(ada.email);
  });

  it('sends the link again to a logged-in unconfirmed account, a few times a day per address', async () => {
    const ada = await signUp(url, 'Ada Lovelace');
    await confirmationLinks(relay.sink, ada.email, 1);
    expect((await post('/api/confirm/resend', {})).status).toBe(401);
    const again = await ada.api('POST', '/api/confirm/resend', {});
    expect(again.status).toBe(202);
    expect((await again.json()) as ConfirmationSent).toEqual({ sentTo: ada.email });
    const links = await confirmationLinks(relay.sink, ada.email, 2);
    expect((await ada.api('POST', '/api/confirm/resend', {})).status).toBe(202);
    await confirmationLinks(relay.sink, ada.email, 3);
    // Three mails a day to one address, whoever asks: a fourth is refused with a
    // typed error, and a stranger's sign-up mails nothing more either.
    const limited = await ada.api('POST', '/api/confirm/resend', {});
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(
      (
        await post('/api/signup', {
          name: 'Mallory',
          email: ada.email,
          password: 'mallory was here 2026',
        })
      ).status,
    ).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await confirmationMails(relay.sink, ada.email)).toHaveLength(3);
    // The resent link confirms Ada; afterwards there is nothing to resend.
    const confirmed = await confirm(codeOf(links[1] ?? ''), ada.cookie);
    expect(confirmed.status).toBe(200);
    expect((await confirmed.json()) as Me).toMatchObject({
      email: ada.email,
      emailConfirmed: true,
    });
    expect((await ada.api('POST', '/api/confirm/resend', {})).status).toBe(409);
  });
});
