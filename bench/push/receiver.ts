// The push service for the push benchmark: loopback HTTPS with a certificate
// made here (the server trusts it through NODE_EXTRA_CA_CERTS), checking each
// POST as test/support/push-service.ts does (VAPID JWT verified against the
// server's key, aes128gcm, TTL/Urgency/Topic, body size; the body decrypted
// with the subscription's private key). It runs in the bench's own process
// and stamps every push with performance.now(), the clock the bench reads
// when it emits call:start: when the request's body had fully arrived, and
// when the 201 was written. (The tests' service stamps
// Date.now(), whole milliseconds of the wall clock: too coarse here.) Unlike
// the tests' service it answers before decrypting, as a real push service
// (which cannot read payloads) would; it decrypts right after, as the desk
// would, to learn which call a push is for, and an undecryptable push is a
// problem that fails the bench.
import { createECDH, createPublicKey, randomBytes, type ECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import jws from 'jws';
import type { DeskPush } from '../../protocol/push.js';
import { selfSignedCertificate } from '../../test/support/tls-certs.js';

/** http_ece ships no types: the one function used here. */
const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt: (
    body: Buffer,
    params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string },
  ) => Buffer;
};

export interface BenchSubscription {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** A push answered 201, decrypted. */
export interface AcceptedPush {
  push: DeskPush;
  /** performance.now() when the request body had arrived, and when 201 was written. */
  arrivedAt: number;
  acceptedAt: number;
  /** It was the first request on its connection (the sender paid a TLS handshake for it). */
  newConnection: boolean;
}

export interface BenchPushService {
  origin: string;
  caFile: string;
  /** A subscription as PushManager.subscribe() gives the desk one. */
  newSubscription: () => BenchSubscription;
  /** Resolves with the first accepted push for `id` that `matches`; rejects after `timeoutMs`. */
  waitFor: (
    id: string,
    matches: (push: DeskPush) => boolean,
    timeoutMs: number,
    what: string,
  ) => Promise<AcceptedPush>;
  /** Every refused request (a bug in the sender: must stay empty), and how many there were in all. */
  problems: () => string[];
  requests: () => number;
  /** TLS connections the server's push sender opened to this service. */
  connections: () => number;
  /** The VAPID key every push must be signed with (the server's, once it is known). */
  expectKey: (publicKey: string) => void;
  close: () => Promise<void>;
}

interface Subscriber {
  ecdh: ECDH;
  auth: string;
  accepted: AcceptedPush[];
  waiters: { matches: (push: DeskPush) => boolean; resolve: (push: AcceptedPush) => void }[];
}

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 4096;
const DAY_SECONDS = 24 * 3600;

export async function startBenchPushService(): Promise<BenchPushService> {
  const certificate = selfSignedCertificate(['127.0.0.1']);
  const subscribers = new Map<string, Subscriber>();
  const problems: string[] = [];
  /** Requests so far on each connection. */
  const perConnection = new WeakMap<object, number>();
  let requests = 0;
  let connections = 0;
  let origin = '';
  let vapidKey: string | undefined;

  const server: Server = createServer(
    { cert: readFileSync(certificate.cert, 'utf8'), key: readFileSync(certificate.key, 'utf8') },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const arrivedAt = performance.now();
        requests += 1;
        const onConnection = (perConnection.get(request.socket) ?? 0) + 1;
        perConnection.set(request.socket, onConnection);
        const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec(request.url ?? '')?.[1] ?? '';
        const subscriber = subscribers.get(id);
        try {
          if (request.method !== 'POST' || !subscriber)
            throw new Refused(404, `no such subscription: ${request.method} ${request.url}`);
          const one = (name: string): string | undefined => {
            const value = request.headers[name];
            return Array.isArray(value) ? value[0] : value;
          };
          verifyVapid(one('authorization'), origin, vapidKey);
          if (one('content-encoding') !== 'aes128gcm')
            throw new Refused(415, `Content-Encoding ${one('content-encoding')}`);
          if (!/^\d+$/.test(one('ttl') ?? '')) throw new Refused(400, `TTL ${one('ttl')}`);
          if (!['very-low', 'low', 'normal', 'high'].includes(one('urgency') ?? 'normal'))
            throw new Refused(400, `Urgency ${one('urgency')}`);
          const topic = one('topic');
          if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic))
            throw new Refused(400, `Topic ${topic}`);
          const body = Buffer.concat(chunks);
          if (body.length === 0 || body.length > MAX_BODY_BYTES)
            throw new Refused(413, `body of ${body.length} bytes`);
          // Accepted as a push service accepts: it cannot read the payload.
          response.writeHead(201, { location: `${origin}/message/${requests}` });
          response.end();
          const acceptedAt = performance.now();
          // Read here, as the desk would, to tell which call it rings for.
          let push: DeskPush;
          try {
            const plain = ece.decrypt(body, {
              version: 'aes128gcm',
              privateKey: subscriber.ecdh,
              authSecret: subscriber.auth,
            });
            push = JSON.parse(plain.toString('utf8')) as DeskPush;
          } catch (error) {
            problems.push(`accepted a push that does not decrypt: ${(error as Error).message}`);
            return;
          }
          const accepted = { push, arrivedAt, acceptedAt, newConnection: onConnection === 1 };
          subscriber.accepted.push(accepted);
          for (const waiter of [...subscriber.waiters]) {
            if (!waiter.matches(push)) continue;
            subscriber.waiters.splice(subscriber.waiters.indexOf(waiter), 1);
            waiter.resolve(accepted);
          }
        } catch (error) {
          const status = error instanceof Refused ? error.status : 500;
          problems.push(`${status} ${(error as Error).message}`);
          response.writeHead(status, { 'content-type': 'text/plain' });
          response.end((error as Error).message);
        }
      });
    },
  );
  server.on('secureConnection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    caFile: certificate.cert,
    newSubscription: () => {
      const id = randomBytes(12).toString('base64url');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      subscribers.set(id, { ecdh, auth, accepted: [], waiters: [] });
      return {
        id,
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
      };
    },
    waitFor: (id, matches, timeoutMs, what) => {
      const subscriber = subscribers.get(id);
      if (!subscriber) return Promise.reject(new Error(`no subscription ${id}`));
      const already = subscriber.accepted.find((accepted) => matches(accepted.push));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          subscriber.waiters = subscriber.waiters.filter((waiter) => waiter.resolve !== done);
          reject(
            new Error(
              `push service: no ${what} in ${timeoutMs} ms (refused so far: ${problems.join('; ') || 'none'})`,
            ),
          );
        }, timeoutMs);
        const done = (accepted: AcceptedPush) => {
          clearTimeout(timer);
          resolve(accepted);
        };
        subscriber.waiters.push({ matches, resolve: done });
      });
    },
    problems: () => [...problems],
    requests: () => requests,
    connections: () => connections,
    expectKey: (publicKey) => {
      vapidKey = publicKey;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** SPKI PEMs of the VAPID keys seen (one server, one key: converted once). */
const keyPems = new Map<string, string>();

/** An uncompressed P-256 public key (base64url) as PEM, for jws.verify. */
function spkiPem(publicKey: string): string {
  const raw = Buffer.from(publicKey, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Refused(401, 'k is not a P-256 public key');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/** `vapid t=<JWT>, k=<key>` (RFC 8292): an ES256 JWT signed with k, for this origin. */
function verifyVapid(
  authorization: string | undefined,
  origin: string,
  expectedKey: string | undefined,
): void {
  const match = /^vapid t=([A-Za-z0-9_.-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  const [, token = '', publicKey = ''] = match ?? [];
  if (!match) throw new Refused(401, `Authorization ${authorization}`);
  if (expectedKey !== undefined && publicKey !== expectedKey)
    throw new Refused(403, 'k is not the server’s VAPID key');
  const pem = keyPems.get(publicKey) ?? spkiPem(publicKey);
  keyPems.set(publicKey, pem);
  const decoded = jws.decode(token);
  if (decoded?.header.alg !== 'ES256') throw new Refused(401, 'the JWT is not ES256');
  if (!jws.verify(token, 'ES256', pem)) throw new Refused(403, 'the JWT does not verify with k');
  const claims = (
    typeof decoded.payload === 'string' ? JSON.parse(decoded.payload) : decoded.payload
  ) as { aud?: unknown; exp?: unknown; sub?: unknown };
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) throw new Refused(403, `aud ${String(claims.aud)}`);
  if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp > now + DAY_SECONDS)
    throw new Refused(403, `exp ${String(claims.exp)}`);
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))
    throw new Refused(403, `sub ${String(claims.sub)}`);
}
