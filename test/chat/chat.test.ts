// Chat over Socket.IO against the built server: a reply page and the sender's
// desk app talk on a personal link; messages persist, carry read marks, and
// reach only that link's chat; what is refused says why.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRead } from '../../protocol/chat.js';
import {
  connect,
  connectDevice,
  createLink,
  ok,
  signUp,
  type TestSocket,
} from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let server: RunningServer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100' });
});

afterAll(async () => {
  await server.stop();
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

async function page(cookie?: string): Promise<TestSocket> {
  const socket = await connect(server.url, cookie);
  sockets.push(socket);
  return socket;
}

function next<T>(socket: TestSocket, event: 'chat:message' | 'chat:read'): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve as never));
}

describe('chat', () => {
  it('carries messages both ways, as typed, with read marks, and keeps them', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace Hopper', subject: 'Q3 plan' });
    const desk = await connectDevice(server.url, sender, 'Laptop');
    sockets.push(desk.socket);
    const caller = await page();
    const opened = ok(await caller.emitWithAck('chat:open', { token: link.token }));
    expect(opened).toEqual({ enabled: true, messages: [] });

    // The desk hears a caller's message even with no chat open.
    const atDesk = next<ChatMessage>(desk.socket, 'chat:message');
    const text = 'Hello <script>alert(1)</script> & "you"';
    const sent = ok(await caller.emitWithAck('chat:send', { token: link.token, text }));
    expect(sent).toMatchObject({ from: 'caller', authorName: 'Grace Hopper', text, readAt: null });
    expect(await atDesk).toEqual(sent);

    ok(await desk.socket.emitWithAck('chat:open', { linkId: link.id }));
    const readAtCaller = next<ChatRead>(caller, 'chat:read');
    ok(await desk.socket.emitWithAck('chat:read', { linkId: link.id, upToId: sent.id }));
    expect(await readAtCaller).toMatchObject({ linkId: link.id, from: 'caller', upToId: sent.id });

    const atCaller = next<ChatMessage>(caller, 'chat:message');
    const reply = ok(
      await desk.socket.emitWithAck('chat:send', { linkId: link.id, text: 'Hi Grace' }),
    );
    expect(reply).toMatchObject({ from: 'sender', authorName: 'Ada Lovelace' });
    expect(await atCaller).toEqual(reply);

    // A send retried after a lost answer (same key) is stored once and announced once.
    let announced = 0;
    caller.on('chat:message', () => (announced += 1));
    const retry = { linkId: link.id, text: 'Tomorrow at 10?', key: 'retry-key-0123456789' };
    const once = ok(await desk.socket.emitWithAck('chat:send', retry));
    const twice = ok(await desk.socket.emitWithAck('chat:send', retry));
    expect(twice.id).toBe(once.id);
    await expect.poll(() => announced).toBe(1);

    // A reload: the history comes back, in order, with what was read.
    const reloaded = await page();
    const history = ok(await reloaded.emitWithAck('chat:open', { token: link.token }));
    expect(history.messages.map((m) => [m.from, m.text])).toEqual([
      ['caller', text],
      ['sender', 'Hi Grace'],
      ['sender', 'Tomorrow at 10?'],
    ]);
    expect(announced).toBe(1); // the retry reached the caller once
    expect(history.messages[0]?.readAt).not.toBeNull();
    expect(history.messages[1]?.readAt).toBeNull();
  });

  it('keeps each link to itself and refuses what it cannot take', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const other = await signUp(server.url, 'Eve Stranger');
    const link = await createLink(sender, { recipientEmail: 'grace@example.org' });
    const stranger = await connectDevice(server.url, other, 'Laptop');
    sockets.push(stranger.socket);
    const refused = await stranger.socket.emitWithAck('chat:open', { linkId: link.id });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const caller = await page();
    // A caller must say who they are when the link does not.
    const nameless = await caller.emitWithAck('chat:send', { token: link.token, text: 'hi' });
    expect(nameless).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const long = await caller.emitWithAck('chat:send', {
      token: link.token,
      text: 'x'.repeat(2001),
      authorName: 'Grace',
    });
    expect(long).toMatchObject({ ok: false, error: { code: 'bad_request' } });

    // The signature link is shared by everyone who got the signature: no chat there.
    const signature = (await (await sender.api('GET', '/api/links/signature/device')).json()) as {
      url: string;
    };
    const token = signature.url.split('/r/')[1] ?? '';
    const shared = await caller.emitWithAck('chat:open', { token });
    expect(shared).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    // A revoked link's open page can send nothing more.
    const revocable = await createLink(sender, { recipientName: 'Grace' });
    ok(await caller.emitWithAck('chat:open', { token: revocable.token }));
    expect((await sender.api('DELETE', `/api/links/${revocable.id}`)).status).toBe(204);
    const afterRevoke = await caller.emitWithAck('chat:send', {
      token: revocable.token,
      text: 'hi',
    });
    expect(afterRevoke).toMatchObject({ ok: false, error: { code: 'not_found' } });

    // Turned off by the sender.
    expect((await sender.api('PATCH', '/api/me/settings', { chatEnabled: false })).status).toBe(
      200,
    );
    // The caller sees neither chat nor what was said in it.
    expect(ok(await caller.emitWithAck('chat:open', { token: link.token }))).toEqual({
      enabled: false,
      messages: [],
    });
    const off = await caller.emitWithAck('chat:send', {
      token: link.token,
      text: 'hi',
      authorName: 'Grace',
    });
    expect(off).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: 'chat is turned off for this link' },
    });
    const info = (await (await fetch(`${server.url}/api/reply/${link.token}`)).json()) as {
      chat: boolean;
    };
    expect(info.chat).toBe(false);
  });
});
