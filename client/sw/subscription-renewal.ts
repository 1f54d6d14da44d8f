// A push service can end a subscription (it expired, keys rotated). The
// browser then fires pushsubscriptionchange, with the new subscription or
// leaving the worker to make one; either way the server must learn it, or
// this device never rings by notification again. No desk may be open, so the
// worker sends it, through the same request the desk uses.
import type { PushKey, PushSubscriptionBody } from '../../protocol/push.js';
import { api, ApiError } from '../shared/api.js';
import { fromBase64Url, subscriptionBody, subscriptionPath } from '../shared/push-subscription.js';
import { thisDevice } from '../shared/this-device.js';

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
  // Without the old one, nothing says rings were on: the desk settles it when it next opens.
  if (!deviceId || !old) return;
  const subscription =
    renewed ??
    (await sw.registration.pushManager.subscribe({
      userVisibleOnly: true,
      // The server's key now, which may not be the one the old subscription was made with.
      applicationServerKey: fromBase64Url((await api<PushKey>('GET', '/api/push/key')).publicKey),
    }));
  const body: PushSubscriptionBody = { ...subscriptionBody(subscription), replaces: old.endpoint };
  try {
    await api('PUT', subscriptionPath(deviceId), body);
  } catch (error) {
    // Rings were turned off meanwhile (or another account signed in): keep them off.
    if (error instanceof ApiError && error.status === 409) await subscription.unsubscribe();
    throw error;
  }
}
