// The push service for the push benchmark: the tests' one
// (test/support/push-service.ts: loopback HTTPS, each POST's VAPID JWT
// verified against the subscription's key, aes128gcm, TTL/Urgency/Topic, the
// body decrypted), in the bench's own process, so that its performance.now()
// stamps and the bench's are one clock. It answers 201 before decrypting, as
// a real push service (which cannot read payloads) would. What is added here:
// waiting for the push of a given call without polling, so the next step of a
// call follows its push at once.
import type { DeskPush } from '../../protocol/push.js';
import {
  startPushService,
  type PushService,
  type PushTiming,
  type TestSubscription,
} from '../../test/support/push-service.js';

/** A push answered 201, decrypted, with when it arrived and was answered. */
export interface AcceptedPush extends PushTiming {
  push: DeskPush;
}

export interface BenchPushService extends Pick<
  PushService,
  'origin' | 'caFile' | 'problems' | 'connections'
> {
  /** A subscription as PushManager.subscribe() gives the desk one, for pushes signed with `vapidKey`. */
  newSubscription: (vapidKey: string) => TestSubscription;
  /** Resolves with the first accepted push for `id` that `matches`; rejects after `timeoutMs`. */
  waitFor: (
    id: string,
    matches: (push: DeskPush) => boolean,
    timeoutMs: number,
    what: string,
  ) => Promise<AcceptedPush>;
  /** Requests so far, answered or refused. */
  requests: () => number;
  close: () => Promise<void>;
}

interface Waiter {
  matches: (push: DeskPush) => boolean;
  resolve: (push: AcceptedPush) => void;
}

export async function startBenchPushService(): Promise<BenchPushService> {
  /** By subscription: its accepted pushes, and who waits for one. */
  const accepted = new Map<string, AcceptedPush[]>();
  const waiters = new Map<string, Waiter[]>();
  const service = await startPushService({
    answerBeforeDecrypting: true,
    onAccepted: (id, received, timing) => {
      const push = { ...timing, push: received.payload as DeskPush };
      accepted.set(id, [...(accepted.get(id) ?? []), push]);
      const waiting = waiters.get(id) ?? [];
      const woken = waiting.filter((waiter) => waiter.matches(push.push));
      waiters.set(
        id,
        waiting.filter((waiter) => !woken.includes(waiter)),
      );
      for (const waiter of woken) waiter.resolve(push);
    },
  });

  return {
    origin: service.origin,
    caFile: service.caFile,
    problems: service.problems,
    connections: service.connections,
    requests: () => service.attempts().length,
    newSubscription: (vapidKey) => service.newSubscription(vapidKey),
    waitFor: (id, matches, timeoutMs, what) => {
      const already = accepted.get(id)?.find((push) => matches(push.push));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          matches,
          resolve: (push) => {
            clearTimeout(timer);
            resolve(push);
          },
        };
        const timer = setTimeout(() => {
          waiters.set(
            id,
            (waiters.get(id) ?? []).filter((other) => other !== waiter),
          );
          reject(
            new Error(
              `push service: no ${what} in ${timeoutMs} ms (refused so far: ${service.problems().join('; ') || 'none'})`,
            ),
          );
        }, timeoutMs);
        waiters.set(id, [...(waiters.get(id) ?? []), waiter]);
      });
    },
    close: service.close,
  };
}
