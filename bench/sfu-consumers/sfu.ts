// What the SFU benchmark measures, whichever SFU it drives (mediasoup, or
// Janus's VideoRoom as the anchor): a room of P audio producers fed over
// plain RTP, R receivers each forwarded every producer.

export interface SfuRoom {
  /** Where to send each producer's RTP. */
  feeds: import('./rtp-feed.js').Feed[];
  /** Forwarded streams (consumers in mediasoup, RTP forwarders in Janus). */
  streams: number;
  /** RTP packets forwarded so far, by the SFU's own count (else counted at the drain). */
  forwarded?: () => Promise<number>;
  close: () => Promise<void> | void;
}

export interface SfuUnderTest {
  name: string;
  /** The process whose CPU is measured. */
  pid: number;
  room: (producers: number, receivers: number, drainPort: number) => Promise<SfuRoom>;
  close: () => Promise<void>;
}
