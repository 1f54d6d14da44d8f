// Web Push (RFC 8030, payloads encrypted per RFC 8291, VAPID per RFC 8292):
// a desk device that allows notifications stores its push subscription, and
// is rung by push while its app is closed. A push carries only what a lock
// screen may show: no link token, nothing that lets anyone join a call.
import { z } from 'zod';
import { deviceIdSchema } from './presence.js';

/** What PushManager.subscribe() gives the desk (PushSubscription.toJSON()), as it sends it. */
export const pushSubscriptionSchema = z.object({
  endpoint: z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2048),
  keys: z.object({
    /** The browser's P-256 public key, base64url (65 bytes uncompressed). */
    p256dh: z.string().regex(/^[A-Za-z0-9_-]{80,100}$/, 'is not a P-256 public key'),
    /** The 16-byte authentication secret, base64url. */
    auth: z.string().regex(/^[A-Za-z0-9_-]{20,24}$/, 'is not an auth secret'),
  }),
  /**
   * A renewal by the service worker names the endpoint it replaces: stored
   * only while the device's stored subscription is still that one (rings
   * turned off meanwhile, or another account signed in, stay so).
   */
  replaces: z
    .url({ protocol: /^https$/, error: 'must be an https URL' })
    .max(2048)
    .optional(),
});
export type PushSubscriptionBody = z.infer<typeof pushSubscriptionSchema>;

/** Decline on a ring's notification (POST /api/calls/:callId/decline): which device declines. */
export const declineRingSchema = z.object({ deviceId: deviceIdSchema });
export type DeclineRingBody = z.infer<typeof declineRingSchema>;

/** The server's VAPID public key (base64url), for PushManager.subscribe's applicationServerKey. */
export interface PushKey {
  publicKey: string;
}

/** What a push to a desk device says. */
export type DeskPush =
  | {
      type: 'ring';
      callId: string;
      callerName: string;
      subject: string | null;
      video: boolean;
      /** Epoch ms when this ring stage ends (the notification is stale after). */
      ringsUntil: number;
    }
  | {
      type: 'ring_ended';
      callId: string;
      /** What the notification says instead: "Answered on Laptop", "The caller hung up". */
      text: string;
    };
