// Whether a browser's push subscription keys can be encrypted to (RFC 8291):
// p256dh a point on P-256, auth 16 bytes. The protocol schema checks their
// shape; this checks what the shape cannot, before they are stored (a bad
// key would fail every push to the device, silently, for ever).
import { createECDH } from 'node:crypto';
import type { PushSubscriptionBody } from '../../protocol/push.js';

/** What is wrong with the keys, or undefined if nothing is. */
export function subscriptionKeysProblem(keys: PushSubscriptionBody['keys']): string | undefined {
  const auth = Buffer.from(keys.auth, 'base64url');
  if (auth.length !== 16) return 'keys.auth is not 16 bytes';
  const point = Buffer.from(keys.p256dh, 'base64url');
  if (point.length !== 65 || point[0] !== 4)
    return 'keys.p256dh is not an uncompressed P-256 public key';
  try {
    // Key agreement fails unless the point is on the curve.
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(point);
  } catch {
    return 'keys.p256dh is not a point on P-256';
  }
  return undefined;
}
