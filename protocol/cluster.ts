// Messages between signaling nodes (over Redis pub/sub) and the device
// presence each node publishes. Nodes trust each other, but a message is
// still parsed before use: a node of another version must fail loudly.
import { z } from 'zod';
import { voxErrorSchema } from './errors.js';
import { ringPreferenceSchema } from './presence.js';

/** What a node forwards about the socket a request came from. */
export const forwardedPeerSchema = z.object({
  id: z.string().min(1),
  data: z.object({
    clientAddress: z.string().optional(),
    accountId: z.number().int().optional(),
    deviceId: z.string().optional(),
  }),
});
export type ForwardedPeer = z.infer<typeof forwardedPeerSchema>;

export const busMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('request'),
    id: z.number().int(),
    from: z.string().min(1),
    event: z.string().min(1),
    peer: forwardedPeerSchema,
    payload: z.unknown(),
  }),
  z.object({
    type: z.literal('reply'),
    id: z.number().int(),
    result: z.unknown(),
    error: voxErrorSchema.optional(),
  }),
  z.object({
    type: z.enum(['deviceJoined', 'deviceLeft']),
    from: z.string().min(1),
    accountId: z.number().int(),
    deviceId: z.string().min(1),
  }),
]);
export type BusMessage = z.infer<typeof busMessageSchema>;
export type BusRequest = Extract<BusMessage, { type: 'request' }>;
export type DeviceNotice = Extract<BusMessage, { type: 'deviceJoined' | 'deviceLeft' }>;

/** One connected device as its node publishes it (for ranking on any node). */
export const publishedDeviceSchema = z.object({
  deviceId: z.string().min(1),
  label: z.string(),
  ringPreference: ringPreferenceSchema,
  lastInputAt: z.number().nullable(),
  focused: z.boolean(),
  visible: z.boolean(),
  lastAnsweredAt: z.number().nullable(),
});

/**
 * What another node needs to take a call over when the node running it dies
 * (its caller's page reconnects there): written by the call's node into the
 * call directory when the call opens and when it is answered.
 */
export const callSnapshotSchema = z.object({
  accountId: z.number().int(),
  /** The caller's link. */
  linkId: z.number().int(),
  /** The page proves it placed the call with the token whose hash this is. */
  resumeTokenHash: z.string().min(1),
  /** ms since the epoch: the ring plan's stages keep their times. */
  startedAt: z.number(),
  incoming: z.object({
    callId: z.string().min(1),
    callerName: z.string(),
    callerEmail: z.string().nullable(),
    subject: z.string().nullable(),
    video: z.boolean(),
    senderBusy: z.boolean(),
    canSendToPhone: z.boolean(),
  }),
  /** The email's group (a To/Cc link): its other recipients may join. */
  messageKey: z.string().nullable(),
  /** The sender's device that answered, and where its socket is. */
  answer: z
    .object({
      deviceId: z.string().min(1),
      label: z.string(),
      /** Its socket id (its peer id in the room). */
      peerId: z.string().min(1),
      /** The node its socket is connected to. */
      node: z.string().min(1),
      answeredAt: z.string(),
      video: z.boolean(),
    })
    .nullable(),
  /** A phone took the call: its leg was bound to the dead node's media. */
  phone: z.boolean(),
});
export type CallSnapshot = z.infer<typeof callSnapshotSchema>;

/** One media worker's load, as its node publishes it for placement. */
export const workerLoadSchema = z.object({
  pid: z.number().int(),
  routers: z.number().int().min(0),
  transports: z.number().int().min(0),
  consumers: z.number().int().min(0),
  /** Share of one core used lately (0-1). */
  cpu: z.number().min(0).max(1),
});
export type WorkerLoadReport = z.infer<typeof workerLoadSchema>;

export const mediaLoadSchema = z.object({
  /** When the node read its workers (ms since the epoch). */
  at: z.number(),
  workers: z.array(workerLoadSchema),
});
export type MediaLoadReport = z.infer<typeof mediaLoadSchema>;
