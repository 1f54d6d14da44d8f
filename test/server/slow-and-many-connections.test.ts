// Slow and many connections against the built server, with raw sockets (issue
// 16, web surface 5): a request that stalls (after one byte of body, or in its
// headers) or drips in slower than the deadline is answered 408 in the app's
// error shape and closed; connections past the per-address cap get a clear 429
// (HTTP) or connect_error (Socket.IO) while another address still connects.
// Short timeouts are configured so the test runs in seconds; how soon the
// server acts is measured in bench/, not asserted here (outcomes only).
import net from 'node:net';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOO_MANY_CONNECTIONS } from '../../protocol/http.js';
import { connect, sleep } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

const IDLE_S = 2;
const REQUEST_S = 4;
const CAP = 20;

interface RawResult {
  /** Everything the server sent. */
  text: string;
  /** Whether the server closed the connection (false: still open when we gave up). */
  closed: boolean;
}

/**
 * Opens a raw TCP connection, sends `first`, then `drip` bytes one at a time every
 * `dripMs`, and waits up to `waitMs` for the server to close.
 */
function raw(
  port: number,
  first: string,
  options: { waitMs: number; localAddress?: string; drip?: number; dripMs?: number },
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    let text = '';
    let drips = options.drip ?? 0;
    let dripTimer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(giveUp);
      clearInterval(dripTimer);
      socket.destroy();
      resolve({ text, closed });
    };
    const giveUp = setTimeout(() => finish(false), options.waitMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      socket.write(first);
      if (drips > 0)
        dripTimer = setInterval(() => {
          if (drips-- > 0 && socket.writable) socket.write('x');
        }, options.dripMs ?? 500);
    });
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function errorOf(text: string): { code: string; message: string } | undefined {
  const body = text.split('\r\n\r\n')[1];
  if (!body) return undefined;
  return (JSON.parse(body) as { error: { code: string; message: string } }).error;
}

const stalledUpload = (length: number) =>
  `POST /api/reply/AAAAAAAAAAAAAAAAAAAAAA/voicemail?callerName=G&key=stalled-upload-0001 HTTP/1.1\r\n` +
  `Host: 127.0.0.1\r\nContent-Type: audio/ogg\r\nContent-Length: ${length}\r\n\r\nO`;

describe('slow requests', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      HTTP_IDLE_TIMEOUT_SECONDS: String(IDLE_S),
      HTTP_REQUEST_TIMEOUT_SECONDS: String(REQUEST_S),
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('a body stalled after one byte is answered 408 and closed', async () => {
    const [upload, json] = await Promise.all([
      raw(server.port, stalledUpload(100_000), { waitMs: 10_000 }),
      raw(
        server.port,
        'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          'Content-Length: 50\r\n\r\n{',
        { waitMs: 10_000 },
      ),
    ]);
    for (const result of [upload, json]) {
      expect(result.closed).toBe(true);
      expect(statusOf(result.text)).toBe(408);
      expect(errorOf(result.text)).toEqual({
        code: 'bad_request',
        message: 'the request took too long to arrive',
      });
    }
  });

  it('headers stalled half-way are answered 408 and closed', async () => {
    const result = await raw(server.port, 'GET /healthz HTTP/1.1\r\nHo', { waitMs: 10_000 });
    expect(result.closed).toBe(true);
    expect(statusOf(result.text)).toBe(408);
    expect(errorOf(result.text)).toEqual({
      code: 'bad_request',
      message: 'the request took too long to arrive',
    });
  });

  it('a body dripped in (never idle) is answered 408 at the request deadline', async () => {
    // A byte every half second never leaves the connection idle (IDLE_S), and
    // 1,000 of them would not finish the body before we give up: only the
    // request deadline (REQUEST_S) can end it.
    const result = await raw(server.port, stalledUpload(100_000), {
      waitMs: 15_000,
      drip: 1000,
      dripMs: 500,
    });
    expect(result.closed).toBe(true);
    expect(result.text.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
    expect(statusOf(result.text)).toBe(408);
    expect(errorOf(result.text)).toEqual({
      code: 'bad_request',
      message: 'the request took too long to arrive',
    });
  });

  it('a Socket.IO connection outlives the idle timeout (pings keep it)', async () => {
    const socket = await connect(server.url);
    const drops: string[] = [];
    socket.on('disconnect', (reason) => drops.push(reason));
    // Waiting past the idle timeout is the point; how long anything took is not asserted.
    await sleep((IDLE_S + 1) * 1000);
    expect(drops).toEqual([]);
    expect(socket.connected).toBe(true);
    const ack = (await socket.timeout(3000).emitWithAck('group:watch', {} as never)) as {
      ok: boolean;
    };
    expect(ack.ok).toBe(false);
    socket.disconnect();
  });

  it('a Socket.IO long poll (held without a byte) is not taken for a stall', async () => {
    const socket = ioClient(server.url, { transports: ['polling'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const drops: string[] = [];
    socket.on('disconnect', (reason) => drops.push(reason));
    await sleep((IDLE_S + 1) * 1000);
    expect(drops).toEqual([]);
    expect(socket.connected).toBe(true);
    const ack = (await socket.timeout(3000).emitWithAck('group:watch', {})) as { ok: boolean };
    expect(ack.ok).toBe(false);
    socket.disconnect();
  });

  it('an idle keep-alive connection is closed without an unasked answer', async () => {
    const result = await raw(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', {
      waitMs: 10_000,
    });
    expect(result.closed).toBe(true);
    expect(result.text.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
    expect(statusOf(result.text)).toBe(200);
  });
});

describe('many connections from one address', () => {
  let server: RunningServer;
  const open: Socket[] = [];
  beforeAll(async () => {
    server = await startServer({
      HTTP_IDLE_TIMEOUT_SECONDS: '10',
      MAX_CONNECTIONS_PER_ADDRESS: String(CAP),
    });
  });
  afterAll(async () => {
    for (const socket of open) socket.disconnect();
    await server.stop();
  });

  it('are refused past the cap with a clear error, while another address connects', async () => {
    // Stalled uploads from one address: CAP are held (until the idle timeout),
    // the rest are refused at once with 429.
    const uploads = await Promise.all(
      Array.from({ length: CAP * 3 }, () =>
        raw(server.port, stalledUpload(100_000), { waitMs: 1500 }),
      ),
    );
    const refused = uploads.filter((result) => statusOf(result.text) === 429);
    expect(refused.length).toBeGreaterThanOrEqual(CAP * 2 - 2);
    expect(uploads.filter((result) => !result.closed).length).toBeLessThanOrEqual(CAP);
    expect(errorOf(refused[0]?.text ?? '')).toEqual({
      code: 'rate_limited',
      message: TOO_MANY_CONNECTIONS,
    });
    await sleep(300);

    // Socket.IO sockets from one address: up to CAP connect (the test's own
    // keep-alive fetch connection may hold a place), then they are refused.
    let refusedSocket = false;
    for (let i = 0; i < CAP + 5; i++) {
      const socket = await connect(server.url).catch(() => undefined);
      if (!socket) {
        refusedSocket = true;
        break;
      }
      open.push(socket);
    }
    expect(refusedSocket).toBe(true);
    expect(open.length).toBeGreaterThanOrEqual(CAP - 2);
    expect(open.length).toBeLessThanOrEqual(CAP);
    const extra = await raw(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', {
      waitMs: 3000,
    });
    expect(statusOf(extra.text)).toBe(429);

    // Another address (127.0.0.2 is loopback too) is not affected.
    const other = await raw(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', {
      waitMs: 3000,
      localAddress: '127.0.0.2',
    });
    expect(statusOf(other.text)).toBe(200);
    const otherSocket = ioClient(server.url, {
      transports: ['websocket'],
      reconnection: false,
      localAddress: '127.0.0.2',
    } as Parameters<typeof ioClient>[1]);
    open.push(otherSocket);
    await new Promise<void>((resolve, reject) => {
      otherSocket.once('connect', () => resolve());
      otherSocket.once('connect_error', reject);
    });

    // Places are given back: close the sockets and the address connects again.
    for (const socket of open.splice(0)) socket.disconnect();
    await sleep(500);
    const again = await connect(server.url);
    again.disconnect();
  });
});

describe('many Socket.IO connections through a trusted proxy', () => {
  let server: RunningServer;
  const open: Socket[] = [];
  beforeAll(async () => {
    server = await startServer({ TRUST_PROXY: 'loopback', MAX_CONNECTIONS_PER_ADDRESS: '5' });
  });
  afterAll(async () => {
    for (const socket of open) socket.disconnect();
    await server.stop();
  });

  const viaProxy = (client: string) => {
    const socket = ioClient(server.url, {
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { 'x-forwarded-for': client },
    });
    open.push(socket);
    return new Promise<Socket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  };

  it('are capped per forwarded client address with a typed connect_error', async () => {
    // The proxy's own address holds more than the cap: it carries many clients.
    for (let i = 0; i < 5; i++) await viaProxy('203.0.113.7');
    for (let i = 0; i < 5; i++) await viaProxy(`198.51.100.${i + 1}`);
    const refused = await viaProxy('203.0.113.7').then(
      () => undefined,
      (error: unknown) => error as Error & { data?: { code?: string } },
    );
    expect(refused?.message).toBe(TOO_MANY_CONNECTIONS);
    expect(refused?.data?.code).toBe('rate_limited');
    // Another client behind the same proxy still connects.
    await viaProxy('198.51.100.99');
  });
});
