// Sends rings to closed desk apps by Web Push (RFC 8030; payload encrypted
// per RFC 8291, signed per RFC 8292), through the `web-push` package. The
// call code's PushRinger: sends are fire-and-forget and never throw at it.
//
// - A subscription the push service says is gone (404, 410) is removed.
// - A service that says "too many" (429, or 503 with Retry-After) is left
//   alone for its Retry-After (bounded); sends to it meanwhile are dropped.
// - At most `inFlight` requests run at once; up to `queued` wait behind them,
//   and past that a send is dropped (logged and counted). A newer push for a
//   subscription and topic replaces a waiting older one, as the push service
//   itself would, and never overtakes one in flight.
// - One VAPID token per push service, kept for hours (vapid-tokens.ts), not
//   one signed per push.
import https from 'node:https';
import { Counter } from 'prom-client';
import webpush, { type WebPushError } from 'web-push';
import type { DeskPush } from '../../protocol/push.js';
import type { Logger } from '../logger.js';
import type {
  PushSubscriptionStore,
  StoredPushSubscription,
} from '../store/push-subscription-store.js';
import { PushServiceBackoff } from './push-backoff.js';
import type { VapidKeys } from './push-config.js';
import { pushPayload, pushTopic } from './push-payload.js';
import type { PushRinger } from './push-ringer.js';
import { VapidTokens } from './vapid-tokens.js';

export interface PushSendLimits {
  /** Requests to push services at once. */
  inFlight: number;
  /** Pushes (and subscription lookups) waiting; more are dropped. */
  queued: number;
  /** Socket timeout of a request to a push service. */
  timeoutMs: number;
  /** Pause when a push service asks for one without a usable Retry-After, and the longest. */
  backoffDefaultMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_PUSH_LIMITS: PushSendLimits = {
  inFlight: 32,
  queued: 2000,
  timeoutMs: 5000,
  backoffDefaultMs: 10_000,
  backoffMaxMs: 60_000,
};

export interface PushSenderOptions {
  subscriptions: PushSubscriptionStore;
  vapid: VapidKeys & { subject: string };
  logger: Logger;
  /** Connections to push services; default: kept alive and reused. */
  agent?: https.Agent;
  limits?: Partial<PushSendLimits>;
}

/** What became of a push, as `voxreply_push_sent_total{result}` counts it. */
export type PushResult =
  'accepted' | 'gone' | 'rate_limited' | 'failed' | 'backed_off' | 'dropped' | 'replaced';

interface Delivery {
  /** Endpoint and topic: one waiting push per pair. */
  key: string;
  origin: string;
  subscription: StoredPushSubscription;
  payload: string;
  ttlSeconds: number;
  topic: string;
  context: { accountId: number; deviceId: string; callId: string; type: DeskPush['type'] };
}

export class PushSender implements PushRinger {
  /** `voxreply_push_sent_total{result}`: register it on the metrics registry. */
  readonly sent = new Counter({
    name: 'voxreply_push_sent_total',
    help: 'Web Push sends by result: accepted (201/202), gone (404/410, subscription removed), rate_limited (429), failed, backed_off (dropped while a push service asked us to wait), dropped (queue full), replaced (by a newer push of the same call before it was sent).',
    labelNames: ['result'],
    registers: [],
  });
  readonly #subscriptions: PushSubscriptionStore;
  readonly #vapid: PushSenderOptions['vapid'];
  readonly #tokens: VapidTokens;
  readonly #log: Logger;
  readonly #agent: https.Agent;
  readonly #ownAgent: boolean;
  readonly #limits: PushSendLimits;
  readonly #backoff: PushServiceBackoff;
  /** Waiting pushes by key, oldest first (a replaced one keeps its place). */
  readonly #queued = new Map<string, Delivery>();
  /** Keys of the pushes being sent. */
  readonly #sending = new Set<string>();
  #lookups = 0;
  #closed = false;
  #idle: (() => void)[] = [];
  #droppedSinceLog = 0;
  #lastDropLog = 0;

  constructor(options: PushSenderOptions) {
    this.#subscriptions = options.subscriptions;
    this.#vapid = options.vapid;
    this.#tokens = new VapidTokens(options.vapid);
    this.#log = options.logger.child({ component: 'push' });
    this.#ownAgent = !options.agent;
    this.#limits = { ...DEFAULT_PUSH_LIMITS, ...options.limits };
    this.#agent =
      options.agent ??
      new https.Agent({
        keepAlive: true,
        maxSockets: this.#limits.inFlight,
        // As many kept as may run: fewer made ten rings at once reopen TLS each round (bench/push).
        maxFreeSockets: this.#limits.inFlight,
      });
    this.#backoff = new PushServiceBackoff({
      defaultMs: this.#limits.backoffDefaultMs,
      maxMs: this.#limits.backoffMaxMs,
    });
  }

  get publicKey(): string {
    return this.#vapid.publicKey;
  }

  subscribedDevices(accountId: number): Promise<Set<string>> {
    return this.#subscriptions.devicesWithSubscription(accountId);
  }

  send(
    accountId: number,
    deviceIds: readonly string[],
    push: DeskPush,
    options: { ttlSeconds: number; topic: string },
  ): void {
    if (this.#closed || deviceIds.length === 0) return;
    const context = { accountId, callId: push.callId, type: push.type };
    if (this.#lookups + this.#queued.size >= this.#limits.queued) {
      this.#dropped(deviceIds.length, context);
      return;
    }
    const payload = pushPayload(push);
    const topic = pushTopic(options.topic);
    const ttlSeconds = Math.max(0, Math.ceil(options.ttlSeconds));
    this.#lookups += 1;
    this.#subscriptions
      .list(accountId, deviceIds)
      .then((subscriptions) => {
        for (const subscription of subscriptions) {
          this.#enqueue({
            key: `${topic} ${subscription.endpoint}`,
            origin: new URL(subscription.endpoint).origin,
            subscription,
            payload,
            ttlSeconds,
            topic,
            context: { ...context, deviceId: subscription.deviceId },
          });
        }
      })
      .catch((error: unknown) => {
        if (!this.#closed) this.#log.error({ err: error, ...context }, 'push: lookup failed');
      })
      .finally(() => {
        this.#lookups -= 1;
        this.#pump();
      });
  }

  /** Resolves once nothing is waiting or being sent (tests; shutdown). */
  settled(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops sending: waiting pushes are forgotten, requests under way cut short. */
  close(): void {
    this.#closed = true;
    this.#queued.clear();
    if (this.#ownAgent) this.#agent.destroy();
    this.#pump();
  }

  #enqueue(delivery: Delivery): void {
    if (this.#closed) return;
    if (this.#backoff.paused(delivery.origin)) {
      this.#count('backed_off');
      this.#log.debug({ ...delivery.context, pushService: delivery.origin }, 'push: backing off');
      return;
    }
    if (this.#queued.has(delivery.key)) {
      this.#count('replaced');
      this.#queued.set(delivery.key, delivery);
      return;
    }
    if (this.#queued.size >= this.#limits.queued) {
      this.#dropped(1, delivery.context);
      return;
    }
    this.#queued.set(delivery.key, delivery);
    this.#pump();
  }

  /** Starts waiting pushes while there is room, none overtaking its own key in flight. */
  #pump(): void {
    for (const [key, delivery] of this.#queued) {
      if (this.#sending.size >= this.#limits.inFlight) break;
      if (this.#sending.has(key)) continue;
      this.#queued.delete(key);
      if (this.#backoff.paused(delivery.origin)) {
        this.#count('backed_off');
        continue;
      }
      this.#sending.add(key);
      void this.#deliver(delivery).finally(() => {
        this.#sending.delete(key);
        this.#pump();
      });
    }
    if (this.#isIdle()) for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #deliver(delivery: Delivery): Promise<void> {
    const { subscription, context, origin } = delivery;
    const log = { ...context, pushService: origin };
    try {
      const response = await webpush.sendNotification(
        { endpoint: subscription.endpoint, keys: subscription.keys },
        delivery.payload,
        {
          // A kept token in place of vapidDetails (with which web-push would
          // sign one per push); the encoding it was made for, pinned.
          headers: { Authorization: this.#tokens.authorization(origin) },
          contentEncoding: 'aes128gcm',
          TTL: delivery.ttlSeconds,
          urgency: 'high',
          topic: delivery.topic,
          timeout: this.#limits.timeoutMs,
          agent: this.#agent,
        },
      );
      this.#count('accepted');
      this.#log.debug({ ...log, status: response.statusCode }, 'push: accepted');
    } catch (error) {
      if (this.#closed) return;
      if (error instanceof webpush.WebPushError) await this.#refused(delivery, error);
      else {
        this.#count('failed');
        this.#log.warn({ ...log, err: error }, 'push: could not reach the push service');
      }
    }
  }

  /** The push service answered, but not 2xx. */
  async #refused(delivery: Delivery, error: WebPushError): Promise<void> {
    const { subscription, context, origin } = delivery;
    const status = error.statusCode;
    const log = { ...context, pushService: origin, status };
    const retryAfter = header(error.headers, 'retry-after');
    if (status === 404 || status === 410) {
      this.#count('gone');
      const removed = await this.#subscriptions
        .removeByEndpoint(subscription.endpoint)
        .catch((failure: unknown) => {
          this.#log.error({ ...log, err: failure }, 'push: could not remove a gone subscription');
          return 0;
        });
      this.#log.info({ ...log, removed }, 'push: subscription gone, removed');
    } else if (status === 429 || (status === 503 && retryAfter !== undefined)) {
      this.#count('rate_limited');
      const pauseMs = this.#backoff.pause(origin, retryAfter);
      this.#log.warn({ ...log, retryAfter, pauseMs }, 'push: push service asks us to wait');
    } else {
      this.#count('failed');
      this.#log.warn({ ...log, body: error.body.slice(0, 200) }, 'push: refused');
    }
  }

  #dropped(pushes: number, context: object): void {
    this.#count('dropped', pushes);
    this.#droppedSinceLog += pushes;
    // One line a second at most: a flood must not flood the log too.
    const now = Date.now();
    if (now - this.#lastDropLog < 1000) return;
    this.#log.warn(
      { ...context, dropped: this.#droppedSinceLog, queued: this.#queued.size },
      'push: too many pushes waiting, dropped',
    );
    this.#droppedSinceLog = 0;
    this.#lastDropLog = now;
  }

  #count(result: PushResult, by = 1): void {
    this.sent.inc({ result }, by);
  }

  #isIdle(): boolean {
    return this.#lookups === 0 && this.#queued.size === 0 && this.#sending.size === 0;
  }
}

function header(headers: WebPushError['headers'], name: string): string | undefined {
  const value: unknown = headers[name];
  return typeof value === 'string' ? value : undefined;
}
