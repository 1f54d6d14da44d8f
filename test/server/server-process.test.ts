// The built server as an operator runs it: health, metrics, pages, bad input on
// the socket, a worker dying, and a graceful stop.
import { execFileSync } from 'node:child_process';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../protocol/ack.js';
import { healthResponseSchema } from '../../protocol/health.js';
import { projectVersion } from '../../server/project-paths.js';
import { startServer, type RunningServer } from '../support/server-process.js';

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

async function metrics(server: RunningServer): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

function openSocket(url: string): Promise<Socket> {
  const socket = connectSocket(url, { transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

describe('a running server', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ MEDIASOUP_WORKERS: '2', DIAGNOSTICS_ROOMS: '1' });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('answers /healthz with its version and live workers', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(healthResponseSchema.parse(await response.json())).toEqual({
      status: 'ok',
      version: projectVersion,
      mediasoup: { workers: 2 },
    });
  });

  it('exposes Prometheus metrics for the process, sockets and workers', async () => {
    const before = await metrics(server);
    expect(metric(before, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(metric(before, 'voxreply_mediasoup_workers_alive')).toBe(2);
    const socket = await openSocket(server.url);
    try {
      const during = await metrics(server);
      expect(metric(during, 'voxreply_socket_connections')).toBe(
        metric(before, 'voxreply_socket_connections') + 1,
      );
    } finally {
      socket.disconnect();
    }
  });

  it('serves the reply page, the desk app and their assets with a CSP', async () => {
    for (const pagePath of ['/r/some-token', '/app']) {
      const response = await fetch(`${server.url}${pagePath}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      const html = await response.text();
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const asset = await fetch(`${server.url}${script ?? ''}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain('javascript');
    }
    expect((await fetch(`${server.url}/no-such-page`)).status).toBe(404);
  });

  it('answers malformed and unknown socket events with typed errors and stays up', async () => {
    const socket = await openSocket(server.url);
    try {
      const emit = (event: string, payload: unknown) =>
        socket.timeout(5000).emitWithAck(event, payload) as Promise<Ack<unknown>>;
      expect(await emit('media:join', { room: '../../etc' })).toMatchObject({
        ok: false,
        error: { code: 'bad_request' },
      });
      expect(await emit('media:join', 'not an object')).toMatchObject({
        ok: false,
        error: { code: 'bad_request' },
      });
      expect(await emit('media:createTransport', { direction: 'send' })).toMatchObject({
        ok: false,
        error: { code: 'forbidden', message: 'join a room first' },
      });
      expect(await emit('no:such-event', {})).toMatchObject({
        ok: false,
        error: { code: 'not_found', message: 'unknown event no:such-event' },
      });
      const joined = await emit('media:join', { room: 'bad-input' });
      expect(joined.ok).toBe(true);
      expect(
        await emit('media:connectTransport', { transportId: 'nope', dtlsParameters: {} }),
      ).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    } finally {
      socket.disconnect();
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('without diagnostics rooms', () => {
  it('has no /diag page and refuses media events', async () => {
    const server = await startServer();
    try {
      expect((await fetch(`${server.url}/diag`)).status).toBe(404);
      const socket = await openSocket(server.url);
      const ack = (await socket
        .timeout(5000)
        .emitWithAck('media:join', { room: 'x' })) as Ack<unknown>;
      socket.disconnect();
      expect(ack).toMatchObject({ ok: false, error: { code: 'not_found' } });
    } finally {
      await server.stop();
    }
  });
});

describe('a mediasoup worker that dies', () => {
  it('is reported, replaced, and health follows it', async () => {
    const server = await startServer({ MEDIASOUP_WORKERS: '1' });
    try {
      const [workerPid = 0] = childPids(server.process.pid ?? 0);
      expect(workerPid).toBeGreaterThan(0);
      process.kill(workerPid, 'SIGKILL');

      // The replacement waits a second (back-off), so health says 503 meanwhile.
      await expect
        .poll(async () => (await fetch(`${server.url}/healthz`)).status, {
          timeout: 900,
          interval: 50,
        })
        .toBe(503);
      const unhealthy = (await (await fetch(`${server.url}/healthz`)).json()) as unknown;
      expect(unhealthy).toMatchObject({ status: 'unavailable', mediasoup: { workers: 0 } });

      await expect
        .poll(async () => (await fetch(`${server.url}/healthz`)).status, { timeout: 10_000 })
        .toBe(200);
      const text = await metrics(server);
      expect(metric(text, 'voxreply_mediasoup_worker_deaths_total')).toBe(1);
      expect(metric(text, 'voxreply_mediasoup_workers_alive')).toBe(1);
      expect(server.output()).toContain('mediasoup worker died');
    } finally {
      await server.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s closes sockets and workers and exits 0 within 10 s',
    async (signal) => {
      const server = await startServer({ DIAGNOSTICS_ROOMS: '1' });
      const socket = await openSocket(server.url);
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      await socket.emitWithAck('media:join', { room: 'shutdown' });
      const workers = childPids(server.process.pid ?? 0);
      expect(workers).toHaveLength(1);

      const { code, ms } = await server.stop(signal);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(10_000);
      // A transport close (not "io server disconnect") lets clients reconnect,
      // to this node once restarted or to another one.
      expect(await disconnected).toBe('transport close');
      for (const pid of workers) expect(isRunning(pid)).toBe(false);
    },
  );
});

function childPids(parent: number): number[] {
  return execFileSync('pgrep', ['-P', String(parent), 'mediasoup-work'])
    .toString()
    .trim()
    .split('\n')
    .map(Number);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
