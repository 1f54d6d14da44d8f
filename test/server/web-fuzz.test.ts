// Seeded fuzz of the web surface against the built server (issue 16, "Done
// when"): random and malformed payloads to every Socket.IO event the server
// registers, from a reply page and from a logged-in desk, and random requests
// to the HTTP routes (random JSON, wrong types, huge strings, wrong content
// types, bad methods). Asserts the server stays up, every acked event is
// answered in the Ack shape (a typed error, never `internal`), every HTTP error
// is a 4xx in the app's error shape (never 5xx), and sockets and memory do not
// pile up. Reproduce a failure with the seed fast-check prints (FUZZ_SEED=...).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodeSchema } from '../../protocol/errors.js';
import { CLIENT_EVENT_NAMES } from '../../protocol/event-names.js';
import {
  connect,
  connectDevice,
  createLink,
  signUp,
  sleep,
  type Sender,
} from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

const SEED = Number(process.env.FUZZ_SEED ?? 16_016);
const SOCKET_RUNS = 600;
const HTTP_RUNS = 1500;

let server: RunningServer;
let sender: Sender;
let link: { id: number; token: string };
const open: Socket[] = [];

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '10000', DIAGNOSTICS_ROOMS: '1' });
  sender = await signUp(server.url);
  link = await createLink(sender, { recipientEmail: 'grace@example.org', subject: 'Fuzz' });
});
afterAll(async () => {
  for (const socket of open) socket.disconnect();
  await server.stop();
});

/** The server process's open sockets and resident memory, from /proc. */
function processUse(): { sockets: number; rssMb: number } {
  const pid = server.process.pid ?? 0;
  const fdDir = `/proc/${pid}/fd`;
  let sockets = 0;
  for (const fd of readdirSync(fdDir)) {
    try {
      if (readlinkSync(`${fdDir}/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed while we looked
    }
  }
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { sockets, rssMb: Number(rss ?? 0) / 1024 };
}

async function healthy(): Promise<boolean> {
  const response = await fetch(`${server.url}/healthz`);
  await response.arrayBuffer();
  return response.status === 200;
}

// ---- values: right and wrong types for the fields the schemas have ----------

const hugeString = fc.integer({ min: 4_000, max: 20_000 }).map((n) => 'A'.repeat(n));
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '__proto__',
  'constructor',
  '\uD800',
  '💥'.repeat(100),
  'NaN',
  '-1',
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue({ maxDepth: 3 }),
  nasty,
  hugeString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 200 }),
);
const FIELDS = [
  'token',
  'callId',
  'callerName',
  'video',
  'deviceId',
  'label',
  'platform',
  'idleMs',
  'focused',
  'visible',
  'linkId',
  'text',
  'upToId',
  'digits',
  'room',
  'transportId',
  'dtlsParameters',
  'kind',
  'rtpParameters',
  'rtpCapabilities',
  'producerId',
  'consumerId',
  'resumeToken',
  'email',
  'direction',
  '__proto__',
  'constructor',
];

/** Objects of known field names with right-looking or wrong values. */
function fieldValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    anyValue,
    fc.constant(link.token),
    fc.constant(link.id),
    fc.constantFrom('call-000000000000', 'a'.repeat(16), 'audio', 'video', '1234#*'),
  );
}
const payload = (): fc.Arbitrary<unknown> =>
  fc.oneof(fc.dictionary(fc.constantFrom(...FIELDS), fieldValue(), { maxKeys: 6 }), anyValue);

// ---- Socket.IO -------------------------------------------------------------

interface Emit {
  kind: 'ack' | 'no-ack';
  event: string;
  args: unknown[];
}

const eventName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...CLIENT_EVENT_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom('nope', 'server:hello', 'voicemail:new', 'disconnect') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const emitArb = (): fc.Arbitrary<Emit> =>
  fc.record({
    kind: fc.constantFrom<'ack' | 'no-ack'>('ack', 'ack', 'ack', 'no-ack'),
    event: eventName,
    // No payload, one, or several.
    args: fc.oneof(
      fc.constant<unknown[]>([]),
      payload().map((value) => [value]),
      fc.array(payload(), { minLength: 2, maxLength: 3 }),
    ),
  });

/** Socket.IO reserves some names: emitting them throws in the client, not a server case. */
const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

function ackShapeProblem(ack: unknown): string | undefined {
  if (typeof ack !== 'object' || ack === null) return `not an object: ${JSON.stringify(ack)}`;
  const shaped = ack as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (shaped.ok === true) return undefined;
  if (shaped.ok !== false) return `no ok flag: ${JSON.stringify(ack)}`;
  if (!errorCodeSchema.safeParse(shaped.error?.code).success)
    return `untyped error: ${JSON.stringify(ack)}`;
  if (typeof shaped.error?.message !== 'string') return `no message: ${JSON.stringify(ack)}`;
  if (shaped.error.code === 'internal') return `internal error for fuzz input`;
  return undefined;
}

async function fuzzSocket(side: 'reply page' | 'desk', seed: number): Promise<void> {
  const connectSide = async (): Promise<Socket> => {
    const socket =
      side === 'desk'
        ? ((await connectDevice(server.url, sender, 'Fuzz desk')).socket as unknown as Socket)
        : ((await connect(server.url)) as unknown as Socket);
    open.push(socket);
    return socket;
  };
  let socket = await connectSide();
  let answered = 0;
  await fc.assert(
    fc.asyncProperty(emitArb(), async (emit) => {
      if (RESERVED.has(emit.event)) return;
      if (!socket.connected) socket = await connectSide();
      if (emit.kind === 'no-ack') {
        socket.emit(emit.event, ...emit.args);
        return;
      }
      let ack: unknown;
      try {
        ack = await socket.timeout(5000).emitWithAck(emit.event, ...emit.args);
      } catch {
        throw new Error(`${side}: ${emit.event} was never answered`);
      }
      answered++;
      const problem = ackShapeProblem(ack);
      if (problem) throw new Error(`${side}: ${emit.event}: ${problem}`);
    }),
    { seed, numRuns: SOCKET_RUNS, endOnFailure: true },
  );
  expect(answered).toBeGreaterThan(SOCKET_RUNS / 2);
}

// ---- HTTP ------------------------------------------------------------------

const ROUTES = [
  '/',
  '/app',
  '/diag',
  '/healthz',
  '/metrics',
  '/r/:token',
  '/b/:file',
  '/api/session',
  '/api/signup',
  '/api/login',
  '/api/logout',
  '/api/confirm',
  '/api/password/forgot',
  '/api/password/reset',
  '/api/me',
  '/api/me/password',
  '/api/me/sessions',
  '/api/me/sessions/:id',
  '/api/me/settings',
  '/api/me/mail',
  '/api/me/phones',
  '/api/me/replies',
  '/api/me/app-passwords',
  '/api/me/app-passwords/:id',
  '/api/calls',
  '/api/links',
  '/api/links/:id',
  '/api/links/signature/device',
  '/api/reply/:token',
  '/api/reply/:token/voicemail',
  '/api/voicemails',
  '/api/voicemails/:id',
  '/api/voicemails/:id/audio',
  '/api/nowhere',
  '/socket.io/',
];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'text/html',
  'audio/ogg',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/json, text/plain',
  '*/*',
];

interface HttpCase {
  method: string;
  route: string;
  param: string;
  query: Record<string, string>;
  contentType: string | undefined;
  body: string | Uint8Array | undefined;
  withCookie: boolean;
  withOrigin: boolean;
}

const paramArb = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(link.token),
    fc.constant(String(link.id)),
    fc.constant('AAAAAAAAAAAAAAAAAAAAAA'),
    fc.string({ maxLength: 30 }),
    nasty,
    fc.integer({ min: 1_000, max: 4_000 }).map((n) => 'x'.repeat(n)),
  );

const bodyArb = (): fc.Arbitrary<string | Uint8Array | undefined> =>
  fc.oneof(
    fc.constant(undefined),
    payload().map((value) => (JSON.stringify(value) as string | undefined) ?? 'undefined'),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{', '{"a":', '[1,2', 'null', '""', '{"__proto__":{"x":1}}', '\u0000'),
    fc.integer({ min: 60_000, max: 80_000 }).map((n) => JSON.stringify({ text: 'A'.repeat(n) })),
    fc.uint8Array({ maxLength: 2000 }),
  );

const httpArb = (): fc.Arbitrary<HttpCase> =>
  fc.record({
    method: fc.constantFrom(...METHODS),
    route: fc.constantFrom(...ROUTES),
    param: paramArb(),
    query: fc.dictionary(
      fc.constantFrom('callerName', 'key', 'callId', 'EIO', 'transport', 'x', 'token'),
      fc.oneof(fc.string({ maxLength: 40 }), nasty),
      { maxKeys: 3 },
    ),
    contentType: fc.constantFrom(...CONTENT_TYPES),
    body: bodyArb(),
    withCookie: fc.boolean(),
    withOrigin: fc.boolean(),
  });

async function send(request: HttpCase): Promise<{ status: number; type: string; text: string }> {
  // Lone surrogates cannot be percent-encoded; a browser would send U+FFFD.
  const param = request.param.replace(/[\uD800-\uDFFF]/g, '\uFFFD');
  const path = request.route.replace(/:[a-z]+/, encodeURIComponent(param));
  const query = new URLSearchParams(request.query).toString();
  const headers: Record<string, string> = {};
  if (request.contentType) headers['content-type'] = request.contentType;
  // Logging out would end the fuzz sender's session for the rest of the run.
  if (request.withCookie && request.route !== '/api/logout') headers.cookie = sender.cookie;
  if (request.withOrigin) headers.origin = server.url;
  const hasBody = request.body !== undefined && !['GET', 'HEAD'].includes(request.method);
  const response = await fetch(`${server.url}${path}${query ? `?${query}` : ''}`, {
    method: request.method,
    headers,
    ...(hasBody && request.body !== undefined
      ? { body: typeof request.body === 'string' ? request.body : new Uint8Array(request.body) }
      : {}),
    redirect: 'manual',
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

function httpProblem(request: HttpCase, answer: { status: number; type: string; text: string }) {
  const what = `${request.method} ${request.route} (${request.contentType ?? 'no type'})`;
  if (answer.status >= 500) return `${what}: ${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status < 400 || request.method === 'HEAD') return undefined;
  // Socket.IO's own transport errors have engine.io's documented shape.
  if (request.route === '/socket.io/') return undefined;
  if (!answer.type.startsWith('application/json'))
    return `${what}: ${answer.status} not JSON (${answer.type})`;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `${what}: ${answer.status} unparsable body`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
  if (!errorCodeSchema.safeParse(error?.code).success || typeof error?.message !== 'string')
    return `${what}: ${answer.status} not in the app's error shape: ${answer.text.slice(0, 300)}`;
  return undefined;
}

describe('fuzz of the web surface (seeded)', () => {
  it('Socket.IO: every event answers random payloads with a typed ack, and the server stays up', async () => {
    const before = processUse();
    await fuzzSocket('reply page', SEED);
    await fuzzSocket('desk', SEED + 1);
    expect(await healthy()).toBe(true);
    // An over-size message is refused by closing that socket, not the server.
    const socket = (await connect(server.url)) as unknown as Socket;
    const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    socket.emit('chat:send', { text: 'A'.repeat(100_000) });
    await closed;
    expect(await healthy()).toBe(true);

    for (const open1 of open.splice(0)) open1.disconnect();
    await sleep(1000);
    const after = processUse();
    expect(after.sockets).toBeLessThanOrEqual(before.sockets + 5);
    expect(after.rssMb - before.rssMb).toBeLessThan(150);
  });

  it('HTTP: random requests get 2xx-4xx, every error in the app shape, and nothing piles up', async () => {
    const before = processUse();
    await fc.assert(
      fc.asyncProperty(httpArb(), async (request) => {
        const problem = httpProblem(request, await send(request));
        if (problem) throw new Error(problem);
      }),
      { seed: SEED + 2, numRuns: HTTP_RUNS, endOnFailure: true },
    );
    expect(await healthy()).toBe(true);
    await sleep(500);
    const after = processUse();
    // fetch keeps a few connections alive; stalled ones would be hundreds.
    expect(after.sockets).toBeLessThanOrEqual(before.sockets + 20);
    expect(after.rssMb - before.rssMb).toBeLessThan(150);
  });
});
