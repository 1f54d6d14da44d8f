// Signaling for one media room (a mediasoup router): the messages a client
// exchanges to send and receive audio/video with mediasoup-client.
import { z } from 'zod';

const id = z.string().min(1).max(128);

/** `any`: UDP with TCP fallback. `tcp`: TCP only, for networks that block UDP. */
export const transportPolicySchema = z.enum(['any', 'tcp']);
export type TransportPolicy = z.infer<typeof transportPolicySchema>;

// mediasoup's own types describe the SDP-derived objects in full; at the edge
// we check their shape is an object and leave the deep validation to
// mediasoup, which rejects bad parameters with an error we turn into an ack.
const sdpObject = z.record(z.string(), z.unknown());

export const joinRoomSchema = z.object({ room: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
export type JoinRoomRequest = z.infer<typeof joinRoomSchema>;

export const createTransportSchema = z.object({
  direction: z.enum(['send', 'recv']),
  policy: transportPolicySchema.default('any'),
});
export type CreateTransportRequest = z.input<typeof createTransportSchema>;

export const connectTransportSchema = z.object({
  transportId: id,
  dtlsParameters: sdpObject,
});
export type ConnectTransportRequest = z.infer<typeof connectTransportSchema>;

export const produceSchema = z.object({
  transportId: id,
  kind: z.enum(['audio', 'video']),
  rtpParameters: sdpObject,
});
export type ProduceRequest = z.infer<typeof produceSchema>;

export const consumeSchema = z.object({
  transportId: id,
  producerId: id,
  rtpCapabilities: sdpObject,
});
export type ConsumeRequest = z.infer<typeof consumeSchema>;

export const restartIceSchema = z.object({ transportId: id });
export type RestartIceRequest = z.infer<typeof restartIceSchema>;

export const resumeConsumerSchema = z.object({ consumerId: id });
export type ResumeConsumerRequest = z.infer<typeof resumeConsumerSchema>;

export const closeProducerSchema = z.object({ producerId: id });
export type CloseProducerRequest = z.infer<typeof closeProducerSchema>;

/** Server to client: re-send `kind` with this codec (e.g. audio/PCMU for a phone). */
export interface SendCodecRequest {
  kind: 'audio';
  mimeType: string;
  clockRate: number;
}

/** A STUN or TURN server for the browser's transports (RTCIceServer). */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** What the server answers: plain JSON mirrors of mediasoup's types. */
export interface JoinRoomResult {
  routerRtpCapabilities: Record<string, unknown>;
  /** Producers already in the room, to consume right away. */
  producers: ProducerInfo[];
  /** STUN/TURN servers (TURN credentials minted for this peer, time-limited). */
  iceServers: IceServer[];
  /** `relay`: use TURN only. */
  iceTransportPolicy: 'all' | 'relay';
}

export interface TransportInfo {
  id: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
}

export interface ProducerInfo {
  producerId: string;
  peerId: string;
  kind: 'audio' | 'video';
}

export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: Record<string, unknown>;
}
