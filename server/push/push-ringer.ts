// What the call code needs of Web Push: which of a sender's devices can be
// rung by notification, and sending them a ring or its end. Implemented by
// push-sender.ts over the `web-push` package; calls never see subscriptions.
import type { DeskPush } from '../../protocol/push.js';

export interface PushRinger {
  /** The sender's devices with a push subscription (rung by notification when closed). */
  subscribedDevices(accountId: number): Promise<Set<string>>;
  /**
   * Sends `push` to each device's subscription, fire-and-forget (failures are
   * logged; a subscription the push service says is gone, 404/410, is removed).
   * `ttlSeconds`: how long the push service may hold it; `topic`: a newer
   * push with the same topic replaces an undelivered older one.
   */
  send(
    accountId: number,
    deviceIds: readonly string[],
    push: DeskPush,
    options: { ttlSeconds: number; topic: string },
  ): void;
}
