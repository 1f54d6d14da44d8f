// A push service for tests (RFC 8030), on loopback HTTPS with a certificate
// made here: the browsers' own push services are out of reach, so the
// server's side of Web Push is checked at the receiving end. Each POST to
// /push/<id> must carry a VAPID authorization (RFC 8292: an ES256 JWT whose
// signature verifies with the key `k`, `aud` this origin, `exp` in the future
// and at most 24 h away, `sub` mailto: or https:), the aes128gcm encoding and
// TTL/Urgency/Topic headers; its body is decrypted (RFC 8291, with http_ece)
// with the private key of the subscription the test made. Answers 201, or
// what the test asked for (404/410/429) to exercise clean-up and back-off.
// The push benchmark (bench/push) runs it too, with the options below.
import { createECDH, createPublicKey, randomBytes, type ECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import jws from 'jws';
import { selfSignedCertificate } from './tls-certs.js';

/** http_ece ships no types: the one function used here. */
const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt: (
    body: Buffer,
    params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string },
  ) => Buffer;
};

/** What PushSubscription.toJSON() gives a desk, and the id it is known by here. */
export interface TestSubscription {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** A push the service accepted, decrypted. */
export interface ReceivedPush {
  /** The decrypted body, parsed as JSON. */
  payload: unknown;
  text: string;
  ttl: number;
  urgency: string;
  topic: string | undefined;
  /** The VAPID JWT's claims and key (already verified), and the JWT itself. */
  vapid: { aud: string; exp: number; sub: string; publicKey: string; token: string };
  at: number;
}

/** Every POST, accepted or not. */
export interface PushAttempt {
  id: string;
  status: number;
  /** Why the service refused it as malformed (a bug in the sender), if it did. */
  problem: string | undefined;
  at: number;
}

/** When a push was taken in, on performance.now()'s clock (Date.now() is too coarse for a benchmark). */
export interface PushTiming {
  /** The request's body had fully arrived. */
  arrivedAt: number;
  /** The 201 was written. */
  answeredAt: number;
  /** It was the first request on its TLS connection (its sender paid a handshake for it). */
  newConnection: boolean;
}

export interface PushServiceOptions {
  /** Told of every push answered 201, as soon as it is (the benchmark waits on it). */
  onAccepted?: (id: string, push: ReceivedPush, timing: PushTiming) => void;
  /**
   * Answer 201 before decrypting, as a real push service (which cannot read
   * payloads) does, so that decrypting is not in the sender's latency; a push
   * that then does not decrypt is still a problem. Default: decrypt first and
   * refuse an undecryptable push with 400.
   */
  answerBeforeDecrypting?: boolean;
}

export interface PushService {
  /** https://127.0.0.1:port */
  origin: string;
  /** The certificate's file, for NODE_EXTRA_CA_CERTS, and its PEM, for an https.Agent's `ca`. */
  caFile: string;
  ca: string;
  /**
   * A subscription as a browser makes one; `applicationServerKey`: the VAPID
   * public key it was made with (pushes signed with another are refused).
   */
  newSubscription: (applicationServerKey?: string) => TestSubscription;
  messages: (id: string) => ReceivedPush[];
  attempts: (id?: string) => PushAttempt[];
  /** Requests the sender got wrong (must stay empty). */
  problems: () => string[];
  /** TLS connections made to the service so far. */
  connections: () => number;
  /** The next POST for `id` is answered `status` (with Retry-After for 429). */
  failNext: (id: string, status: 404 | 410 | 429 | 500, retryAfterSeconds?: number) => void;
  /** Waits until `id` has `count` messages (default 1). */
  waitForMessages: (id: string, count?: number, timeoutMs?: number) => Promise<ReceivedPush[]>;
  close: () => Promise<void>;
}

interface Subscriber {
  ecdh: ECDH;
  auth: string;
  applicationServerKey: string | undefined;
  messages: ReceivedPush[];
  failures: { status: number; retryAfterSeconds: number | undefined }[];
}

const MAX_BODY_BYTES = 4096;
const DAY_SECONDS = 24 * 3600;

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startPushService(options: PushServiceOptions = {}): Promise<PushService> {
  const certificate = selfSignedCertificate(['127.0.0.1']);
  const ca = readFileSync(certificate.cert, 'utf8');
  const subscribers = new Map<string, Subscriber>();
  const attempts: PushAttempt[] = [];
  /** Requests so far on each TLS connection. */
  const perConnection = new WeakMap<object, number>();
  let connections = 0;
  let origin = '';
  let accepted = 0;

  const server: Server = createServer(
    { cert: ca, key: readFileSync(certificate.key, 'utf8') },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const arrivedAt = performance.now();
        const onConnection = (perConnection.get(request.socket) ?? 0) + 1;
        perConnection.set(request.socket, onConnection);
        const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec(request.url ?? '')?.[1] ?? '';
        const subscriber = subscribers.get(id);
        const attempt: PushAttempt = { id, status: 201, problem: undefined, at: Date.now() };
        attempts.push(attempt);
        let taken: { push: ReceivedPush; timing: PushTiming } | undefined;
        try {
          if (request.method !== 'POST' || !subscriber)
            throw new Refused(404, 'no such subscription');
          const body = Buffer.concat(chunks);
          const checked = check(request.headers, body, subscriber, origin);
          const decrypted = options.answerBeforeDecrypting ? undefined : decrypt(body, subscriber);
          const failure = subscriber.failures.shift();
          if (failure) {
            attempt.status = failure.status;
            response.writeHead(failure.status, {
              ...(failure.retryAfterSeconds === undefined
                ? {}
                : { 'retry-after': String(failure.retryAfterSeconds) }),
            });
            response.end();
            return;
          }
          accepted += 1;
          response.writeHead(201, { location: `${origin}/message/${accepted}` });
          response.end();
          const answeredAt = performance.now();
          let push: ReceivedPush;
          try {
            push = { ...checked, ...(decrypted ?? decrypt(body, subscriber)), at: Date.now() };
          } catch (error) {
            // Only when answering first: the sender's bug, though it got its 201.
            attempt.problem = error instanceof Error ? error.message : String(error);
            return;
          }
          subscriber.messages.push(push);
          taken = { push, timing: { arrivedAt, answeredAt, newConnection: onConnection === 1 } };
        } catch (error) {
          const status = error instanceof Refused ? error.status : 400;
          attempt.status = status;
          if (status !== 404)
            attempt.problem = error instanceof Error ? error.message : String(error);
          response.writeHead(status, { 'content-type': 'text/plain' });
          response.end(attempt.problem ?? 'not found');
        }
        // Past the answer: what the listener throws is its own, not a refusal.
        if (taken) options.onAccepted?.(id, taken.push, taken.timing);
      });
    },
  );
  server.on('secureConnection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const service: PushService = {
    origin,
    caFile: certificate.cert,
    ca,
    newSubscription: (applicationServerKey) => {
      const id = randomBytes(12).toString('base64url');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      subscribers.set(id, { ecdh, auth, applicationServerKey, messages: [], failures: [] });
      return {
        id,
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
      };
    },
    messages: (id) => [...(subscribers.get(id)?.messages ?? [])],
    attempts: (id) => attempts.filter((attempt) => id === undefined || attempt.id === id),
    problems: () => attempts.flatMap((attempt) => (attempt.problem ? [attempt.problem] : [])),
    connections: () => connections,
    failNext: (id, status, retryAfterSeconds) => {
      const subscriber = subscribers.get(id);
      if (!subscriber) throw new Error(`no subscription ${id}`);
      subscriber.failures.push({ status, retryAfterSeconds });
    },
    waitForMessages: async (id, count = 1, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = service.messages(id);
        if (messages.length >= count) return messages;
        if (Date.now() > deadline) {
          throw new Error(
            `push service: ${messages.length} of ${count} messages for ${id} in ${timeoutMs} ms` +
              ` (problems: ${service.problems().join('; ') || 'none'})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return service;
}

/** A subscription on `service` (as PushManager.subscribe() gives the desk one). */
export function newSubscription(
  service: PushService,
  applicationServerKey?: string,
): TestSubscription {
  return service.newSubscription(applicationServerKey);
}

/** Checks one POST's headers and size as a push service must; throws Refused. */
function check(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  subscriber: Subscriber,
  origin: string,
): Pick<ReceivedPush, 'ttl' | 'urgency' | 'topic' | 'vapid'> {
  const one = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const vapid = verifyVapid(one('authorization'), origin);
  if (subscriber.applicationServerKey && vapid.publicKey !== subscriber.applicationServerKey)
    throw new Refused(403, 'VAPID key k is not the key the subscription was made with');
  if (one('content-encoding') !== 'aes128gcm')
    throw new Refused(415, `Content-Encoding ${one('content-encoding')} is not aes128gcm`);
  const ttlText = one('ttl') ?? '';
  if (!/^\d+$/.test(ttlText)) throw new Refused(400, `TTL "${ttlText}" is not a number of seconds`);
  const urgency = one('urgency') ?? 'normal';
  if (!['very-low', 'low', 'normal', 'high'].includes(urgency))
    throw new Refused(400, `Urgency "${urgency}" is not one of RFC 8030's`);
  const topic = one('topic');
  if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic))
    throw new Refused(400, `Topic "${topic}" is not 1-32 URL-safe base64 characters`);
  if (body.length === 0 || body.length > MAX_BODY_BYTES)
    throw new Refused(413, `body of ${body.length} bytes (1-${MAX_BODY_BYTES})`);
  return { ttl: Number(ttlText), urgency, topic, vapid };
}

/** The body decrypted with the subscription's keys (RFC 8291); throws Refused 400. */
function decrypt(body: Buffer, subscriber: Subscriber): Pick<ReceivedPush, 'payload' | 'text'> {
  let text: string;
  try {
    const plain = ece.decrypt(body, {
      version: 'aes128gcm',
      privateKey: subscriber.ecdh,
      authSecret: subscriber.auth,
    });
    text = plain.toString('utf8');
  } catch (error) {
    throw new Refused(400, `cannot decrypt: ${error instanceof Error ? error.message : ''}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = undefined;
  }
  return { payload, text };
}

/** SPKI PEMs of the VAPID keys seen: a sender has one key, converted once (not per push). */
const keyPems = new Map<string, string>();

/** An uncompressed P-256 public key (base64url) as PEM, for jws.verify; or Refused 401. */
function spkiPem(publicKey: string): string {
  const raw = Buffer.from(publicKey, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4)
    throw new Refused(401, 'k is not an uncompressed P-256 public key');
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

/** `vapid t=<JWT>, k=<key>` (RFC 8292 section 3) for `origin`: verified, or Refused 401/403. */
export function verifyVapid(
  authorization: string | undefined,
  origin: string,
): ReceivedPush['vapid'] {
  const match = /^vapid t=([A-Za-z0-9_.-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  const [, token = '', publicKey = ''] = match ?? [];
  if (!match) throw new Refused(401, `Authorization "${authorization}" is not vapid t=..., k=...`);
  const pem = keyPems.get(publicKey) ?? spkiPem(publicKey);
  keyPems.set(publicKey, pem);
  const decoded = jws.decode(token);
  if (decoded?.header.alg !== 'ES256') throw new Refused(401, 'the JWT is not ES256');
  if (!jws.verify(token, 'ES256', pem))
    throw new Refused(403, 'the JWT signature does not verify with k');
  const claims = (
    typeof decoded.payload === 'string' ? JSON.parse(decoded.payload) : decoded.payload
  ) as { aud?: unknown; exp?: unknown; sub?: unknown };
  const now = Math.floor(Date.now() / 1000);
  if (claims.aud !== origin) throw new Refused(403, `aud ${String(claims.aud)} is not ${origin}`);
  if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp > now + DAY_SECONDS)
    throw new Refused(403, `exp ${String(claims.exp)} is not in the next 24 hours`);
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))
    throw new Refused(403, `sub ${String(claims.sub)} is not a mailto: or https: URL`);
  return { aud: claims.aud, exp: claims.exp, sub: claims.sub, publicKey, token };
}
