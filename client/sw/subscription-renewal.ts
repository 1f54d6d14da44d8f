// A push service can end a subscription (it expired, keys rotated). The
// browser then fires pushsubscriptionchange, with the new subscription or
// leaving the worker to make one; either way the server must learn it, or
// this device never rings by notification again. No desk may be open, so the
// worker sends it, through the same request the desk uses.
import type { PushKey } from '../../protocol/push.js';
import { api } from '../shared/api.js';
import { fromBase64Url, subscriptionBody, subscriptionPath } from '../shared/push-subscription.js';
import { thisDevice } from './this-device.js';

/** The event's fields (not in TypeScript's webworker lib yet). */
interface SubscriptionChange extends ExtendableEvent {
  readonly oldSubscription?: PushSubscription | null;
  readonly newSubscription?: PushSubscription | null;
}

export function installSubscriptionRenewal(sw: ServiceWorkerGlobalScope): void {
  sw.addEventListener('pushsubscriptionchange', (event) => {
    const change = event as SubscriptionChange;
    change.waitUntil(
      renew(sw, change.oldSubscription ?? null, change.newSubscription ?? null).catch(
        (error: unknown) => console.warn('renewed push subscription not sent:', error),
      ),
    );
  });
}

async function renew(
  sw: ServiceWorkerGlobalScope,
  old: PushSubscription | null,
  renewed: PushSubscription | null,
): Promise<void> {
  const deviceId = await thisDevice();
  if (!deviceId) return;
  const subscription =
    renewed ??
    (await sw.registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey:
        old?.options.applicationServerKey ??
        fromBase64Url((await api<PushKey>('GET', '/api/push/key')).publicKey),
    }));
  await api('PUT', subscriptionPath(deviceId), subscriptionBody(subscription));
}
