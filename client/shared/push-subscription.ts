// A browser's push subscription as the server takes it, shared by the desk
// (turning notification rings on) and the service worker (a subscription the
// browser renewed while no desk was open).
import type { PushSubscriptionBody } from '../../protocol/push.js';

/** PUT /api/devices/:deviceId/push's path for a device. */
export function subscriptionPath(deviceId: string): string {
  return `/api/devices/${encodeURIComponent(deviceId)}/push`;
}

export function subscriptionBody(subscription: PushSubscription): PushSubscriptionBody {
  const { endpoint, keys } = subscription.toJSON();
  if (!endpoint || !keys?.p256dh || !keys.auth) throw new Error('the browser gave no push keys');
  return { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } };
}

/** The server's VAPID key (base64url) as PushManager.subscribe takes it. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}
