// The live reply page's socket events against the real server (issue 19,
// part 2): the status pushed to a watching page as the sender's devices and
// settings change (and hidden when the sender hides it); "call me back"
// only on personal links, one request per link, listed on the sender's
// desks, rate-limited per link; only the sender's own desk device calls
// back, and only a genuine, current ticket for the right link starts a call,
// which rings that device alone and carries the request's id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CallbackRequestView,
  CallbackRing,
  SenderStatusUpdate,
} from '../../protocol/callback.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import {
  connect,
  createLink,
  ok,
  signUp,
  sleep,
  socketsPerTest,
  type TestSocket,
} from '../support/sender.js';

let server: RunningServer;
const sockets = socketsPerTest();

beforeAll(async () => {
  // Room for every test's requests from this one address; the limit test has its own server.
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '10' });
});
afterAll(async () => {
  await server.stop();
});

async function page(): Promise<TestSocket> {
  const socket = await connect(server.url);
  sockets.track(socket);
  return socket;
}

/** Collects what a listener hears: `heard((push) => socket.on('event', push))`. */
function heard<T>(listen: (push: (payload: T) => void) => void): T[] {
  const got: T[] = [];
  listen((payload) => void got.push(payload));
  return got;
}

describe('the status pushed to a watching page', () => {
  it('follows the devices and the show-status setting', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const watcher = await page();
    const statuses = heard<SenderStatusUpdate>((push) => watcher.on('status:changed', push));
    const watched = ok(await watcher.emitWithAck('status:watch', { token: link.token }));
    expect(watched).toEqual({
      status: 'offline',
      senderName: 'Ada Lovelace',
      callbackWaiting: false,
      callbackOffered: true,
    });

    const desk = await sockets.device(server.url, sender, 'Laptop');
    await desk.beat(0, true);
    await expect.poll(() => statuses.at(-1)?.status).toBe('available');

    await sender.api('PATCH', '/api/me/settings', { showStatus: false });
    await expect.poll(() => statuses.at(-1)).toEqual({ status: null });
    // Hidden means hidden: a device coming and going tells the page nothing (not even when).
    const heardSoFar = statuses.length;
    const phone = await sockets.device(server.url, sender, 'Phone');
    phone.socket.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(statuses).toHaveLength(heardSoFar);
    await sender.api('PATCH', '/api/me/settings', { showStatus: true, doNotDisturb: true });
    await expect.poll(() => statuses.at(-1)?.status).toBe('do_not_disturb');
    await sender.api('PATCH', '/api/me/settings', { doNotDisturb: false });

    desk.socket.disconnect();
    // Its only device goes: offline.
    await expect.poll(() => statuses.at(-1)?.status, { timeout: 8000 }).toBe('offline');
  });

  it('stops telling a revoked link’s open page anything', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const watcher = await page();
    const statuses = heard<SenderStatusUpdate>((push) => watcher.on('status:changed', push));
    ok(await watcher.emitWithAck('status:watch', { token: link.token }));
    expect((await sender.api('DELETE', `/api/links/${link.id}`)).status).toBe(204);

    const desk = await sockets.device(server.url, sender, 'Laptop');
    await desk.beat(0, true);
    // Another page, on a working link, hears the change: the revoked one did not.
    const other = await createLink(sender, { recipientName: 'Bob' });
    const witness = await page();
    const seen = heard<SenderStatusUpdate>((push) => witness.on('status:changed', push));
    ok(await witness.emitWithAck('status:watch', { token: other.token }));
    desk.socket.disconnect();
    await expect.poll(() => seen.at(-1)?.status, { timeout: 8000 }).toBe('offline');
    expect(statuses).toEqual([]);
    // And it cannot watch again.
    expect(await watcher.emitWithAck('status:watch', { token: link.token })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('lets one page watch only so often', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const watcher = await page();
    const answers: string[] = [];
    for (let i = 0; i < 22; i += 1) {
      const ack = await watcher.emitWithAck('status:watch', { token: link.token });
      answers.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(answers.filter((answer) => answer === 'ok')).toHaveLength(20);
    expect(answers.slice(20)).toEqual(['rate_limited', 'rate_limited']);
  });

  it('answers bad and unknown tokens as the reply page does', async () => {
    const watcher = await page();
    expect(await watcher.emitWithAck('status:watch', { token: 'short' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    expect(
      await watcher.emitWithAck('status:watch', { token: 'AAAAAAAAAAAAAAAAAAAAAA' }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('call-back requests', () => {
  it('needs a personal link; one per link; listed on the desk; dismissed', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace', subject: 'Budget' });
    const desk = await sockets.device(server.url, sender, 'Laptop');
    const lists = heard<CallbackRequestView[]>((push) => desk.socket.on('callbacks:list', push));
    const grace = await page();

    const signature = (await (await sender.api('GET', '/api/links/signature/device')).json()) as {
      url: string;
    };
    const shared = signature.url.split('/r/')[1] ?? '';
    expect(ok(await grace.emitWithAck('status:watch', { token: shared })).callbackOffered).toBe(
      false,
    );
    expect(
      await grace.emitWithAck('callback:request', { token: shared, callerName: 'Grace' }),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(
      await grace.emitWithAck('callback:request', {
        token: link.token,
        callerName: 'x'.repeat(81),
      }),
    ).toMatchObject({ ok: false, error: { code: 'bad_request' } });

    ok(await grace.emitWithAck('callback:request', { token: link.token, callerName: 'Grace' }));
    ok(await grace.emitWithAck('callback:request', { token: link.token, callerName: 'Grace H.' }));
    await expect.poll(() => lists.at(-1)?.map((r) => r.callerName)).toEqual(['Grace H.']);
    const [request] = ok(await desk.socket.emitWithAck('callback:list', {}));
    expect(request).toMatchObject({ callerName: 'Grace H.', subject: 'Budget', pageOpen: true });
    const again = await page();
    expect(ok(await again.emitWithAck('status:watch', { token: link.token }))).toMatchObject({
      callbackWaiting: true,
    });

    // Another sender's desk knows nothing of it.
    const stranger = await sockets.device(server.url, await signUp(server.url, 'Eve'), 'Evil');
    expect(
      await stranger.socket.emitWithAck('callback:call', { requestId: request?.id ?? 0 }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(
      await stranger.socket.emitWithAck('callback:dismiss', { requestId: request?.id ?? 0 }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });

    ok(await desk.socket.emitWithAck('callback:dismiss', { requestId: request?.id ?? 0 }));
    await expect.poll(() => lists.at(-1)).toEqual([]);
  });

  it('are limited per link and per address', async () => {
    const limited = await startServer();
    try {
      const sender = await signUp(limited.url, 'Ada Lovelace');
      const results: string[] = [];
      for (const name of ['Grace', 'Alan']) {
        const link = await createLink(sender, { recipientName: name });
        for (let i = 0; i < 6; i++) {
          const socket = await connect(limited.url);
          sockets.track(socket);
          const ack = await socket.emitWithAck('callback:request', {
            token: link.token,
            callerName: name,
          });
          results.push(ack.ok ? 'ok' : ack.error.code);
        }
      }
      // 5 per link in 10 minutes; 10 per address, refused ones counted.
      expect(results).toEqual([
        ...['ok', 'ok', 'ok', 'ok', 'ok', 'rate_limited'],
        ...['ok', 'ok', 'ok', 'ok', 'rate_limited', 'rate_limited'],
      ]);
    } finally {
      await limited.stop();
    }
  });

  it('ring the page with a ticket that starts a call to that desk alone', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const other = await createLink(sender, { recipientName: 'Alan' });
    const laptop = await sockets.device(server.url, sender, 'Laptop');
    const phone = await sockets.device(server.url, sender, 'Phone');
    await laptop.beat(60_000, false);
    await phone.beat(0, true);
    const grace = await page();
    const rings = heard<CallbackRing>((push) => grace.on('callback:ring', push));
    ok(await grace.emitWithAck('callback:request', { token: link.token, callerName: 'Grace' }));
    const [request] = ok(await laptop.socket.emitWithAck('callback:list', {}));
    const requestId = request?.id ?? 0;

    // A page is rung only by a device that said hello.
    const bare = await connect(server.url, sender.cookie);
    sockets.track(bare);
    expect(await bare.emitWithAck('callback:call', { requestId })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(ok(await laptop.socket.emitWithAck('callback:call', { requestId }))).toEqual({
      reached: 1,
    });
    await expect.poll(() => rings.length).toBe(1);
    const ticket = rings[0]?.ticket ?? '';

    const start = (token: string, callback: string) =>
      grace.emitWithAck('call:start', { token, callerName: 'Grace', video: false, callback });
    // Forged, or for another link: refused before anything rings.
    expect(await start(link.token, `${ticket.slice(0, -4)}AAAA`)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await start(other.token, ticket)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const started = ok(await start(link.token, ticket));
    // The laptop called back: it rings, not the more active phone, and it knows why.
    await expect.poll(() => laptop.rings.map((ring) => ring.callId)).toEqual([started.callId]);
    expect(laptop.rings[0]?.callbackId).toBe(requestId);
    await sleep(300);
    expect(phone.rings).toEqual([]);
    // The request is done: the same ticket starts nothing more.
    await expect
      .poll(async () => ok(await laptop.socket.emitWithAck('callback:list', {})))
      .toEqual([]);
    ok(await grace.emitWithAck('call:hangup', { callId: started.callId }));
    expect(await start(link.token, ticket)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });
});
