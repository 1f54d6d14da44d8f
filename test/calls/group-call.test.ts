// Group replies over the real server's sockets: the recipients of one relayed
// email (To and Cc) see its call, join it, leave it; the sender sees who else
// got the email and invites them; Bcc recipients and hand-made links stay out;
// a call holds eight people.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Me, MyReply } from '../../protocol/accounts.js';
import type { CallProgress, CallRecordView } from '../../protocol/call.js';
import type { CallParticipants, GroupCallState, GroupInvitation } from '../../protocol/group.js';
import type { LinkInfo } from '../../protocol/links.js';
import { confirmationCode } from '../support/confirmation.js';
import {
  relayedLinks,
  startRelayingServer,
  type RelayingServer,
} from '../support/relayed-links.js';
import {
  connect,
  connectDevice,
  createLink,
  ok,
  signUp,
  type Sender,
  type TestDevice,
  type TestSocket,
} from '../support/sender.js';
import type { RunningServer } from '../support/server-process.js';

let relay: RelayingServer;
let server: RunningServer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  relay = await startRelayingServer();
  server = relay.server;
});

afterAll(async () => {
  await relay.stop();
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

/** A reply page: its socket, what it heard, and the link it was opened from. */
interface Page {
  socket: TestSocket;
  token: string;
  states: GroupCallState[];
  invitations: GroupInvitation[];
  participants: CallParticipants[];
  stages: CallProgress['stage'][];
  ended: string[];
}

async function openPage(token: string): Promise<Page> {
  const socket = await connect(server.url);
  sockets.push(socket);
  const page: Page = {
    socket,
    token,
    states: [],
    invitations: [],
    participants: [],
    stages: [],
    ended: [],
  };
  socket.on('group:state', (state) => page.states.push(state));
  socket.on('group:invited', (invitation) => page.invitations.push(invitation));
  socket.on('call:participants', (list) => page.participants.push(list));
  socket.on('call:progress', (progress) => page.stages.push(progress.stage));
  socket.on('call:ended', (ended) => page.ended.push(ended.by));
  return page;
}

const names = (list: CallParticipants | undefined): string[] =>
  (list?.participants ?? []).map((p) => `${p.role}:${p.name}`);

async function emailWith(
  sender: Sender,
  recipients: { to: string[]; cc?: string[]; bcc?: string[] },
): Promise<Map<string, string>> {
  return relayedLinks(relay, { sender, subject: `Offsite ${Date.now()}`, ...recipients });
}

/** The sender's laptop answers a call the first recipient starts. */
async function answeredCall(
  laptop: TestDevice,
  first: Page,
  name: string,
): Promise<{ callId: string }> {
  const started = ok(
    await first.socket.emitWithAck('call:start', {
      token: first.token,
      callerName: name,
      video: false,
    }),
  );
  await expect.poll(() => laptop.rings.length).toBeGreaterThan(0);
  ok(await laptop.socket.emitWithAck('call:answer', { callId: started.callId }));
  await expect.poll(() => first.stages.at(-1)).toBe('connected');
  return started;
}

function join(page: Page, callId: string, callerName: string, video = false) {
  return page.socket.emitWithAck('call:join', { token: page.token, callId, callerName, video });
}

describe('group replies', () => {
  it('lets the email’s other recipients see the call, join it, be invited and leave it', async () => {
    const sender = await signUp(server.url, 'Sam Sender');
    const laptop = await connectDevice(server.url, sender, 'Laptop');
    sockets.push(laptop.socket);
    const laptopLists: CallParticipants[] = [];
    laptop.socket.on('call:participants', (list) => laptopLists.push(list));
    const laptopEnded: string[] = [];
    laptop.socket.on('call:ended', (ended) => laptopEnded.push(ended.by));
    const links = await emailWith(sender, {
      to: ['Ada <ada@example.org>', 'Bob <bob@example.org>'],
      cc: ['Cy <cy@example.org>'],
      bcc: ['dee@example.org'],
    });
    const [ada, bob, cy, dee] = await Promise.all(
      ['ada', 'bob', 'cy', 'dee'].map((who) => openPage(links.get(`${who}@example.org`) ?? '')),
    );
    if (!ada || !bob || !cy || !dee) throw new Error('four pages');

    // Before any call: nothing to join. A Bcc recipient and a hand-made link are no group.
    expect(ok(await bob.socket.emitWithAck('group:watch', { token: bob.token }))).toEqual({
      callId: null,
      talking: [],
      canJoin: false,
      video: false,
    });
    ok(await cy.socket.emitWithAck('group:watch', { token: cy.token }));
    expect(ok(await dee.socket.emitWithAck('group:watch', { token: dee.token }))).toBeNull();
    const handMade = await createLink(sender, { recipientEmail: 'eve@example.org' });
    expect(ok(await dee.socket.emitWithAck('group:watch', { token: handMade.token }))).toBeNull();

    const { callId } = await answeredCall(laptop, ada, 'Ada');
    // Bob's open page hears of the call at once.
    await expect
      .poll(() => bob.states.at(-1))
      .toEqual({ callId, talking: ['Ada'], canJoin: true, video: false });

    // The Bcc recipient and a hand-made link cannot join, even knowing the call's id.
    expect(await join(dee, callId, 'Dee')).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const eve = await openPage(handMade.token);
    expect(await join(eve, callId, 'Eve')).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });

    ok(await join(bob, callId, 'Bob'));
    await expect.poll(() => bob.stages.at(-1)).toBe('connected');
    const everyone = ['sender:Sam Sender', 'recipient:Ada', 'recipient:Bob'];
    await expect.poll(() => names(laptopLists.at(-1))).toEqual(everyone);
    await expect.poll(() => names(ada.participants.at(-1))).toEqual(everyone);
    await expect.poll(() => cy.states.at(-1)?.talking).toEqual(['Ada', 'Bob']);
    // Bob steps out and back in: the call goes on with Ada meanwhile.
    ok(await bob.socket.emitWithAck('call:hangup', { callId }));
    await expect
      .poll(() => names(laptopLists.at(-1)))
      .toEqual(['sender:Sam Sender', 'recipient:Ada']);
    ok(await join(bob, callId, 'Bob'));
    await expect.poll(() => names(laptopLists.at(-1))).toEqual(everyone);
    // The same link cannot be in the call twice.
    const again = await openPage(bob.token);
    expect(await join(again, callId, 'Bob')).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });

    // The sender sees who else got the email (not the Bcc) and invites Cy.
    const recipients = ok(await laptop.socket.emitWithAck('call:recipients', { callId }));
    expect(recipients.map((r) => [r.email, r.inCall, r.pageOpen])).toEqual([
      ['ada@example.org', true, false], // this Ada never sent group:watch
      ['bob@example.org', true, true],
      ['cy@example.org', false, true],
    ]);
    const cyLink = recipients.find((r) => r.email === 'cy@example.org');
    const invited = ok(
      await laptop.socket.emitWithAck('call:invite', { callId, linkId: cyLink?.linkId ?? 0 }),
    );
    expect(invited).toEqual({ reached: 1 });
    await expect
      .poll(() => cy.invitations)
      .toEqual([{ callId, senderName: 'Sam Sender', talking: ['Ada', 'Bob'] }]);
    // Cy's page would start a second call: the server points it at this one.
    expect(
      await cy.socket.emitWithAck('call:start', {
        token: cy.token,
        callerName: 'Cy',
        video: false,
      }),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'conflict',
        message: 'Ada and Bob are already talking with Sam Sender about this email: join that call',
      },
    });
    // The Bcc recipient, a hand-made link and another email's recipient cannot be invited.
    const otherEmail = await emailWith(sender, { to: ['Zed <zed@example.org>'] });
    expect(otherEmail.size).toBe(1);
    const all = (await (await sender.api('GET', '/api/links')).json()) as LinkInfo[];
    for (const address of ['dee@example.org', 'eve@example.org', 'zed@example.org']) {
      const linkId = all.find((link) => link.recipientEmail === address)?.id ?? 0;
      expect(linkId).toBeGreaterThan(0);
      expect(await laptop.socket.emitWithAck('call:invite', { callId, linkId })).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
    }

    // Ada leaves: Bob and the sender talk on.
    ok(await ada.socket.emitWithAck('call:hangup', { callId }));
    await expect
      .poll(() => names(laptopLists.at(-1)))
      .toEqual(['sender:Sam Sender', 'recipient:Bob']);
    expect(laptopEnded).toEqual([]);
    expect(bob.ended).toEqual([]);
    // Bob, the last recipient, hangs up: the call ends for the sender, and the watchers see it.
    ok(await bob.socket.emitWithAck('call:hangup', { callId }));
    await expect.poll(() => laptopEnded).toEqual(['caller']);
    await expect.poll(() => cy.states.at(-1)?.callId).toBeNull();
    // Ada left before: the end of the call she left is no news to her page.
    expect(ada.ended).toEqual([]);
    expect(ada.stages).not.toContain('ended');

    const history = (await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[];
    expect(history[0]).toMatchObject({ callerName: 'Ada', outcome: 'answered', guests: ['Bob'] });

    // Bob signs up from his link and confirms his address with the code mailed to
    // it (holding a link proves nothing: it may have been forwarded): his replies
    // then include the call he joined.
    const signup = await fetch(`${server.url}/api/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Bob',
        email: 'bob@example.org',
        password: 'correct horse battery',
        fromLink: bob.token,
      }),
    });
    expect(signup.status).toBe(201);
    expect(((await signup.json()) as Me).emailConfirmed).toBe(false);
    const cookie = (signup.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const replies = async () =>
      (await (
        await fetch(`${server.url}/api/me/replies`, { headers: { cookie } })
      ).json()) as MyReply[];
    expect(await replies()).toEqual([]);
    const confirmed = await fetch(`${server.url}/api/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ code: await confirmationCode(relay.sink, 'bob@example.org') }),
    });
    expect(confirmed.status).toBe(200);
    expect(((await confirmed.json()) as Me).emailConfirmed).toBe(true);
    expect(await replies()).toEqual([
      expect.objectContaining({ callId, senderName: 'Sam Sender', outcome: 'joined' }),
    ]);
  });

  it('lets four people send video; later joiners are told to send their voice only', async () => {
    const sender = await signUp(server.url, 'Sam Sender');
    const laptop = await connectDevice(server.url, sender, 'Laptop');
    sockets.push(laptop.socket);
    const people = Array.from({ length: 5 }, (_, i) => `v${i + 1}@example.org`);
    const links = await emailWith(sender, { to: people });
    const [first, ...others] = await Promise.all(
      people.map((address) => openPage(links.get(address) ?? '')),
    );
    if (!first) throw new Error('pages');
    const started = ok(
      await first.socket.emitWithAck('call:start', {
        token: first.token,
        callerName: 'V1',
        video: true,
      }),
    );
    expect(started.maySendVideo).toBe(true);
    await expect.poll(() => laptop.rings.length).toBe(1);
    // A voice answer takes no video place.
    ok(await laptop.socket.emitWithAck('call:answer', { callId: started.callId, video: false }));
    // The first caller sends video: three more may, the next one may not.
    const joined = [];
    for (const [i, page] of others.entries()) {
      joined.push(ok(await join(page, started.callId, `V${i + 2}`, true)).maySendVideo);
    }
    expect(joined).toEqual([true, true, true, false]);
  });

  it('holds eight people, says so to the ninth, and ends for everyone when the sender hangs up', async () => {
    const sender = await signUp(server.url, 'Sam Sender');
    const laptop = await connectDevice(server.url, sender, 'Laptop');
    sockets.push(laptop.socket);
    const people = Array.from({ length: 8 }, (_, i) => `p${i + 1}@example.org`);
    const links = await emailWith(sender, { to: people });
    const pages = await Promise.all(people.map((address) => openPage(links.get(address) ?? '')));
    const [first, ...others] = pages;
    if (!first) throw new Error('pages');
    for (const page of others)
      ok(await page.socket.emitWithAck('group:watch', { token: page.token }));

    const { callId } = await answeredCall(laptop, first, 'P1');
    // Seven join at once for six places: the sender and seven recipients make eight.
    const joins = await Promise.all(others.map((page, i) => join(page, callId, `P${i + 2}`)));
    expect(joins.filter((ack) => ack.ok)).toHaveLength(6);
    const refused = others.filter((_, i) => !joins[i]?.ok);
    expect(joins.filter((ack) => !ack.ok)).toEqual([
      { ok: false, error: { code: 'call_full', message: 'this call is full' } },
    ]);
    const [ninth] = refused;
    if (!ninth) throw new Error('one page was refused');
    await expect.poll(() => ninth.states.at(-1)?.canJoin).toBe(false);

    ok(await laptop.socket.emitWithAck('call:hangup', { callId }));
    const inCall = [first, ...others.filter((page) => page !== ninth)];
    for (const page of inCall) {
      await expect.poll(() => page.ended).toEqual(['sender']);
      await expect.poll(() => page.stages.at(-1)).toBe('ended');
    }
    await expect.poll(() => ninth.states.at(-1)?.callId).toBeNull();
  });

  it('lets a revoked link’s open page hear no more of the email’s call, nor join it', async () => {
    const sender = await signUp(server.url, 'Sam Sender');
    const laptop = await connectDevice(server.url, sender, 'Laptop');
    sockets.push(laptop.socket);
    const laptopEnded: string[] = [];
    laptop.socket.on('call:ended', (ended) => laptopEnded.push(ended.by));
    const links = await emailWith(sender, { to: ['ada@example.org', 'bob@example.org'] });
    const [ada, bob] = await Promise.all(
      ['ada', 'bob'].map((who) => openPage(links.get(`${who}@example.org`) ?? '')),
    );
    if (!ada || !bob) throw new Error('pages');
    ok(await bob.socket.emitWithAck('group:watch', { token: bob.token }));
    const { callId } = await answeredCall(laptop, ada, 'Ada');
    await expect.poll(() => bob.states.at(-1)?.callId).toBe(callId);

    const all = (await (await sender.api('GET', '/api/links')).json()) as LinkInfo[];
    const bobLink = all.find((link) => link.recipientEmail === 'bob@example.org');
    expect((await sender.api('DELETE', `/api/links/${bobLink?.id ?? 0}`)).status).toBe(204);
    expect(await join(bob, callId, 'Bob')).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const heard = bob.states.length;
    ok(await ada.socket.emitWithAck('call:hangup', { callId }));
    await expect.poll(() => laptopEnded).toEqual(['caller']);
    // The others were told the call ended by now; the revoked page hears nothing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bob.states.length).toBe(heard);
  });
});
