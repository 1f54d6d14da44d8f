// A media room: one mediasoup router and the peers that send and receive in it.
// The server decides who may join; the room only moves media.
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { PooledRouter } from './worker-pool.js';
import type {
  ConsumerInfo,
  ProducerInfo,
  TransportInfo,
  TransportPolicy,
} from '../protocol/media.js';

export interface RoomEvents {
  producerAdded: [producer: ProducerInfo];
  producerClosed: [producer: ProducerInfo];
  /** The peer speaking loudest now (only once `detectSpeakers()` ran). */
  activeSpeaker: [peerId: string];
  closed: [];
}

interface Peer {
  /** What this peer may send (a voice call's caller sends no video). */
  kinds: ReadonlySet<types.MediaKind>;
  transports: Map<string, { transport: types.WebRtcTransport; direction: TransportDirection }>;
  /** A phone leg's one transport for both directions (plain RTP). */
  plain?: types.PlainTransport;
  producers: Map<string, types.Producer>;
  consumers: Map<string, types.Consumer>;
}

export type TransportDirection = 'send' | 'recv';

/** A request a peer made that the room cannot honour (unknown id, bad parameters). */
export class RoomRequestError extends Error {}

export class Room extends EventEmitter<RoomEvents> {
  readonly name: string;
  /** The mediasoup worker process the room's router lives in. */
  readonly workerPid: number;
  readonly #router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;
  readonly #peers = new Map<string, Peer>();
  #speakers: types.ActiveSpeakerObserver | undefined;
  #activeSpeaker: string | undefined;

  /** Transports share the worker's WebRtcServer: one UDP and one TCP port per worker. */
  constructor(name: string, { router, webRtcServer, workerPid }: PooledRouter) {
    super();
    this.name = name;
    this.workerPid = workerPid;
    this.#router = router;
    this.#webRtcServer = webRtcServer;
    router.observer.once('close', () => {
      this.#peers.clear();
      this.emit('closed');
    });
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  get closed(): boolean {
    return this.#router.closed;
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  /** The peer speaking loudest now, once `detectSpeakers()` found one (for newcomers). */
  get activeSpeaker(): string | undefined {
    return this.#activeSpeaker;
  }

  /** Peers allowed to send `kind` (a group call caps the video senders). */
  sendersOf(kind: types.MediaKind): number {
    return [...this.#peers.values()].filter((peer) => peer.kinds.has(kind)).length;
  }

  /**
   * Watches every audio producer and reports the dominant speaker
   * (mediasoup's ActiveSpeakerObserver) as `activeSpeaker` events.
   */
  async detectSpeakers(intervalMs = 300): Promise<void> {
    if (this.#speakers) return;
    const observer = await this.#router.createActiveSpeakerObserver({ interval: intervalMs });
    this.#speakers = observer;
    observer.on('dominantspeaker', ({ producer }) => {
      const peerId = this.#peerOf(producer.id);
      if (!peerId) return;
      this.#activeSpeaker = peerId;
      this.emit('activeSpeaker', peerId);
    });
    for (const peer of this.#peers.values()) {
      for (const producer of peer.producers.values()) await this.#observeSpeaker(producer);
    }
  }

  /**
   * Adds a peer, which may then hold one send and one receive transport and
   * one producer of each kind it may send. Returns the producers to consume.
   */
  addPeer(peerId: string, kinds: readonly types.MediaKind[] = ['audio', 'video']): ProducerInfo[] {
    if (!this.#peers.has(peerId)) {
      this.#peers.set(peerId, {
        kinds: new Set(kinds),
        transports: new Map(),
        producers: new Map(),
        consumers: new Map(),
      });
    }
    return this.producers().filter((producer) => producer.peerId !== peerId);
  }

  producers(): ProducerInfo[] {
    return [...this.#peers.entries()].flatMap(([peerId, peer]) =>
      [...peer.producers.values()].map((p) => ({ producerId: p.id, peerId, kind: p.kind })),
    );
  }

  async createTransport(
    peerId: string,
    direction: TransportDirection,
    policy: TransportPolicy,
  ): Promise<TransportInfo> {
    const peer = this.#peer(peerId);
    // A new one replaces the old (a client that set its media up again, e.g.
    // after its call moved rooms while it was starting): one per direction.
    for (const { transport, direction: existing } of [...peer.transports.values()]) {
      if (existing === direction) transport.close();
    }
    const transport = await this.#router.createWebRtcTransport({
      webRtcServer: this.#webRtcServer,
      enableUdp: policy !== 'tcp',
      enableTcp: true,
      preferUdp: policy !== 'tcp',
      initialAvailableOutgoingBitrate: 600_000,
    });
    peer.transports.set(transport.id, { transport, direction });
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    return {
      id: transport.id,
      iceParameters: { ...transport.iceParameters },
      iceCandidates: transport.iceCandidates.map((candidate) => ({ ...candidate })),
      dtlsParameters: { ...transport.dtlsParameters },
    };
  }

  async connectTransport(
    peerId: string,
    transportId: string,
    dtlsParameters: Record<string, unknown>,
  ): Promise<void> {
    const { transport } = this.#transport(peerId, transportId);
    await this.#wrap(() =>
      transport.connect({ dtlsParameters: dtlsParameters as unknown as types.DtlsParameters }),
    );
  }

  async restartIce(peerId: string, transportId: string): Promise<Record<string, unknown>> {
    const iceParameters = await this.#transport(peerId, transportId).transport.restartIce();
    return { ...iceParameters };
  }

  async produce(
    peerId: string,
    transportId: string,
    kind: types.MediaKind,
    rtpParameters: Record<string, unknown>,
  ): Promise<string> {
    const transport = this.#transport(peerId, transportId, 'send');
    return this.#produceOn(
      peerId,
      transport,
      kind,
      rtpParameters as unknown as types.RtpParameters,
    );
  }

  /** Consumers start paused; the client resumes them once it is ready to play. */
  async consume(
    peerId: string,
    transportId: string,
    producerId: string,
    rtpCapabilities: Record<string, unknown>,
  ): Promise<ConsumerInfo> {
    const transport = this.#transport(peerId, transportId, 'recv');
    const consumer = await this.#consumeOn(peerId, transport, producerId, rtpCapabilities, true);
    return {
      id: consumer.id,
      producerId,
      kind: consumer.kind,
      rtpParameters: { ...consumer.rtpParameters },
    };
  }

  /**
   * Adds a plain-RTP peer (the phone side of a call): one PlainTransport for
   * both directions, RTP and RTCP muxed, on `listenIp` (where its relay is).
   */
  async addPlainPeer(peerId: string, listenIp: string): Promise<types.PlainTransport> {
    if (this.#peers.has(peerId)) throw new RoomRequestError(`${peerId} is already in this room`);
    const peer: Peer = {
      kinds: new Set(['audio']),
      transports: new Map(),
      producers: new Map(),
      consumers: new Map(),
    };
    this.#peers.set(peerId, peer);
    try {
      peer.plain = await this.#router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: listenIp },
        rtcpMux: true,
        comedia: false,
      });
      return peer.plain;
    } catch (error) {
      this.#peers.delete(peerId);
      throw error;
    }
  }

  /** A plain peer's incoming stream, announced to the room like any producer. */
  producePlain(peerId: string, rtpParameters: types.RtpParameters): Promise<string> {
    return this.#produceOn(peerId, this.#plain(peerId), 'audio', rtpParameters);
  }

  /** Sends another peer's producer to a plain peer (starts at once). */
  consumePlain(
    peerId: string,
    producerId: string,
    rtpCapabilities: types.RtpCapabilities,
  ): Promise<types.Consumer> {
    return this.#consumeOn(peerId, this.#plain(peerId), producerId, rtpCapabilities, false);
  }

  /** The codec a producer sends (its first media codec). */
  producerCodec(producerId: string): types.RtpCodecParameters | undefined {
    for (const peer of this.#peers.values()) {
      const producer = peer.producers.get(producerId);
      if (producer) return producer.rtpParameters.codecs[0];
    }
    return undefined;
  }

  /** Closes one of a peer's producers (to send the same track with another codec). */
  closeProducer(peerId: string, producerId: string): void {
    const producer = this.#peer(peerId).producers.get(producerId);
    if (!producer) throw new RoomRequestError(`unknown producer ${producerId}`);
    producer.close();
  }

  async #produceOn(
    peerId: string,
    transport: types.Transport,
    kind: types.MediaKind,
    rtpParameters: types.RtpParameters,
  ): Promise<string> {
    const peer = this.#peer(peerId);
    if (!peer.kinds.has(kind)) throw new RoomRequestError(`may not send ${kind} in this room`);
    if ([...peer.producers.values()].some((p) => p.kind === kind)) {
      throw new RoomRequestError(`already sending ${kind}`);
    }
    const producer = await this.#wrap(() => transport.produce({ kind, rtpParameters }));
    peer.producers.set(producer.id, producer);
    const info: ProducerInfo = { producerId: producer.id, peerId, kind: producer.kind };
    let announced = false;
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      if (announced) this.emit('producerClosed', info);
    });
    await this.#observeSpeaker(producer);
    // Its peer may have left while the speaker observer took it: nothing to announce.
    if (isClosed(producer)) throw new RoomRequestError('left the room');
    announced = true;
    this.emit('producerAdded', info);
    return producer.id;
  }

  async #consumeOn(
    peerId: string,
    transport: types.Transport,
    producerId: string,
    rtpCapabilities: types.RtpCapabilities,
    paused: boolean,
  ): Promise<types.Consumer> {
    const peer = this.#peer(peerId);
    if (peer.producers.has(producerId))
      throw new RoomRequestError('cannot consume your own producer');
    if ([...peer.consumers.values()].some((c) => c.producerId === producerId)) {
      throw new RoomRequestError('already consuming this producer');
    }
    if (!this.#router.canConsume({ producerId, rtpCapabilities })) {
      throw new RoomRequestError('cannot consume this producer with these capabilities');
    }
    const consumer = await this.#wrap(() =>
      transport.consume({ producerId, rtpCapabilities, paused }),
    );
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => peer.consumers.delete(consumer.id));
    return consumer;
  }

  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const consumer = this.#peer(peerId).consumers.get(consumerId);
    if (!consumer) throw new RoomRequestError(`unknown consumer ${consumerId}`);
    await consumer.resume();
  }

  removePeer(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    this.#peers.delete(peerId);
    if (this.#activeSpeaker === peerId) this.#activeSpeaker = undefined;
    // Closing a transport closes its producers and consumers too.
    for (const { transport } of peer.transports.values()) transport.close();
    peer.plain?.close();
  }

  close(): void {
    this.#router.close();
  }

  async #observeSpeaker(producer: types.Producer): Promise<void> {
    if (!this.#speakers || producer.kind !== 'audio' || producer.closed) return;
    try {
      await this.#speakers.addProducer({ producerId: producer.id });
    } catch (error) {
      // Closed meanwhile (its peer left): the observer has nothing to watch.
      if (!isClosed(producer)) throw error;
    }
  }

  #peerOf(producerId: string): string | undefined {
    for (const [peerId, peer] of this.#peers) if (peer.producers.has(producerId)) return peerId;
    return undefined;
  }

  #plain(peerId: string): types.PlainTransport {
    const transport = this.#peer(peerId).plain;
    if (!transport) throw new RoomRequestError('not a plain-RTP peer');
    return transport;
  }

  #peer(peerId: string): Peer {
    const peer = this.#peers.get(peerId);
    if (!peer) throw new RoomRequestError('not in this room');
    return peer;
  }

  #transport(peerId: string, transportId: string): { transport: types.WebRtcTransport };
  #transport(
    peerId: string,
    transportId: string,
    direction: TransportDirection,
  ): types.WebRtcTransport;
  #transport(
    peerId: string,
    transportId: string,
    direction?: TransportDirection,
  ): types.WebRtcTransport | { transport: types.WebRtcTransport } {
    const entry = this.#peer(peerId).transports.get(transportId);
    if (!entry) throw new RoomRequestError(`unknown transport ${transportId}`);
    if (!direction) return entry;
    if (entry.direction !== direction) throw new RoomRequestError(`not a ${direction} transport`);
    return entry.transport;
  }

  /** mediasoup rejects bad client parameters with TypeError/Error: report them as such. */
  async #wrap<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new RoomRequestError(error instanceof Error ? error.message : String(error));
    }
  }
}

/** Read afresh (a producer may close while we await). */
function isClosed(producer: types.Producer): boolean {
  return producer.closed;
}
