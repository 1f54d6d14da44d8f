// One peer's media over mediasoup-client in a room the server put it in: a send
// and a receive transport, the local microphone (and camera) produced, every
// remote producer consumed.
import { Device, type types } from 'mediasoup-client';
import type {
  JoinRoomResult,
  ProducerInfo,
  SendCodecRequest,
  TransportInfo,
  TransportPolicy,
} from '../../protocol/media.js';
import { unwrap } from './ack.js';
import type { VoxClientSocket } from './connection.js';

function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

export interface ConnectionQuality {
  /** Round-trip time to the server, ms. */
  rttMs: number | null;
  label: 'good' | 'fair' | 'poor' | 'unknown';
}

export class MediaSession {
  /** Called with each remote track as it starts. */
  onTrack: (track: MediaStreamTrack, producer: ProducerInfo) => void = () => undefined;
  /** Called when media cannot be set up again after the room moved. */
  onFailed: (error: unknown) => void = (error) =>
    console.warn('could not move to the new media room', error);
  /** Called when a remote track ends (its sender stopped it or left). */
  onTrackEnded: (track: MediaStreamTrack, producer: ProducerInfo) => void = () => undefined;

  readonly #socket: VoxClientSocket;
  readonly #policy: TransportPolicy;
  readonly #device = new Device();
  #sendTransport: types.Transport | undefined;
  #recvTransport: types.Transport | undefined;
  readonly #producers = new Map<string, types.Producer>();
  readonly #consumed = new Set<string>();
  /** What this page receives, by producer id (closed when the producer closes). */
  readonly #consumers = new Map<string, { consumer: types.Consumer; producer: ProducerInfo }>();
  readonly #onProducerClosed = ({ producerId }: { producerId: string }): void => {
    const entry = this.#consumers.get(producerId);
    if (!entry) return;
    this.#consumers.delete(producerId);
    entry.consumer.close();
    this.onTrackEnded(entry.consumer.track, entry.producer);
  };
  /** Producers announced before the receive transport existed. */
  readonly #waiting: ProducerInfo[] = [];
  readonly #onNewProducer = (producer: ProducerInfo): void => {
    if (this.#recvTransport) void this.#consumeOrWarn(producer);
    else this.#waiting.push(producer);
  };
  #closed = false;
  /** The audio codec the server asked for (a phone's); the router's first by default. */
  #wantedAudio: SendCodecRequest | undefined;
  /** Codec switches one after another: the last request wins. */
  #codecSwitches: Promise<void> = Promise.resolve();
  readonly #onSendCodec = (request: SendCodecRequest): void => {
    this.#wantedAudio = request;
    this.#switchCodec();
  };
  /** The local camera/microphone, released on close however far start got. */
  #local: MediaStream | undefined;
  readonly #onOnline = (): void => void this.restartIce();
  /** The call's room moved (its media worker died): set up again there, after start. */
  readonly #onRoomMoved = (joined: JoinRoomResult): void => {
    this.#movesSeen += 1;
    this.#steps = this.#steps
      .catch(() => undefined)
      .then(() => this.#move(joined))
      .catch((error: unknown) => this.onFailed(error));
  };
  /** start() and room moves, one after another (a move waits for start to finish). */
  #steps: Promise<void> = Promise.resolve();
  /** Room moves announced so far (a start they cut short is redone by the move). */
  #movesSeen = 0;

  constructor(socket: VoxClientSocket, policy: TransportPolicy = 'any') {
    this.#socket = socket;
    this.#policy = policy;
    // Listen at once: a producer may appear while transports are set up.
    socket.on('media:newProducer', this.#onNewProducer);
    socket.on('media:sendCodec', this.#onSendCodec);
    socket.on('media:roomMoved', this.#onRoomMoved);
    socket.on('media:producerClosed', this.#onProducerClosed);
    // A new network (Wi-Fi to cellular, a VPN): ask for fresh ICE credentials.
    window.addEventListener('online', this.#onOnline);
  }

  /** The call went on in another room (taken over by another node): set up again there. */
  moveTo(joined: JoinRoomResult): void {
    this.#onRoomMoved(joined);
  }

  /** Restarts ICE on both transports (after a network change or a failed path). */
  async restartIce(): Promise<void> {
    for (const transport of [this.#sendTransport, this.#recvTransport]) {
      if (!transport || transport.closed) continue;
      const { iceParameters } = unwrap(
        await this.#socket.emitWithAck('media:restartIce', { transportId: transport.id }),
      );
      await transport.restartIce({
        iceParameters: iceParameters as unknown as types.IceParameters,
      });
    }
  }

  /** Sets up transports, sends the given tracks, receives everyone else's. */
  start(joined: JoinRoomResult, local: Promise<MediaStream>): Promise<void> {
    const moves = this.#movesSeen;
    const started = this.#steps.then(async () => {
      try {
        await this.#start(joined, local);
      } catch (error) {
        // The room moved under it (its requests named the old room's
        // transports): the queued move sets everything up again.
        if (this.#movesSeen === moves) throw error;
      }
    });
    this.#steps = started.catch(() => undefined);
    return started;
  }

  async #start(joined: JoinRoomResult, local: Promise<MediaStream>): Promise<void> {
    local.then(
      (stream) => {
        this.#local = stream;
        if (this.#closed) stopTracks(stream);
      },
      () => undefined,
    );
    await this.#device.load({
      routerRtpCapabilities: joined.routerRtpCapabilities,
    });
    const sendTransport = await this.#openTransports(joined);

    const stream = await local;
    for (const track of stream.getTracks()) {
      if (this.#closed) break;
      this.#producers.set(track.kind, await this.#produce(sendTransport, track));
    }
    // A codec asked for while the microphone was being produced (a phone that
    // answers at once) was not applied to it: apply it now.
    if (this.#wantedAudio) this.#switchCodec();
    await this.#consumeKnown(joined);
  }

  /**
   * Receives the producers a join listed and those announced meanwhile; one
   * that is gone already (its sender left, or the room moved) is skipped.
   */
  async #consumeKnown(joined: JoinRoomResult): Promise<void> {
    const known = [...joined.producers, ...this.#waiting.splice(0)];
    await Promise.all(known.map((producer) => this.#consumeOrWarn(producer)));
  }

  async #consumeOrWarn(producer: ProducerInfo): Promise<void> {
    try {
      await this.#consume(producer);
    } catch (error) {
      console.warn(`could not receive ${producer.kind} from ${producer.peerId}`, error);
    }
  }

  /** A send and a receive transport in the room `joined` describes. */
  async #openTransports(joined: JoinRoomResult): Promise<types.Transport> {
    // The server's STUN/TURN servers (and `relay`: TURN only) for both transports.
    const ice = {
      iceServers: joined.iceServers,
      iceTransportPolicy: joined.iceTransportPolicy,
    };
    const sendTransport = this.#device.createSendTransport({
      ...(await this.#transport('send')),
      ...ice,
    });
    this.#sendTransport = sendTransport;
    this.#wireConnect(sendTransport);
    sendTransport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
      this.#socket
        .emitWithAck('media:produce', {
          transportId: sendTransport.id,
          kind,
          rtpParameters: rtpParameters,
        })
        .then((ack) => callback({ id: unwrap(ack).producerId }))
        .catch(errback);
    });
    this.#recvTransport = this.#device.createRecvTransport({
      ...(await this.#transport('recv')),
      ...ice,
    });
    this.#wireConnect(this.#recvTransport);
    return sendTransport;
  }

  /**
   * The room moved to another media worker: new transports there, the same
   * microphone and camera sent again (muted stays muted), everyone consumed anew.
   */
  async #move(joined: JoinRoomResult): Promise<void> {
    // Start never got as far as transports (it failed): nothing to move.
    if (this.#closed || !this.#sendTransport) return;
    const muted = new Set(
      [...this.#producers.entries()].filter(([, p]) => p.paused).map(([kind]) => kind),
    );
    this.#sendTransport.close();
    this.#recvTransport?.close();
    this.#recvTransport = undefined;
    this.#producers.clear();
    this.#consumed.clear();
    for (const { consumer, producer } of this.#consumers.values()) {
      this.onTrackEnded(consumer.track, producer);
    }
    this.#consumers.clear();
    const sendTransport = await this.#openTransports(joined);
    // The local tracks, whatever was being sent of them when the room went.
    for (const track of this.#local?.getTracks() ?? []) {
      if (this.#isClosed() || track.readyState === 'ended') continue;
      const producer = await this.#produce(sendTransport, track);
      if (muted.has(track.kind)) producer.pause();
      this.#producers.set(track.kind, producer);
    }
    await this.#consumeKnown(joined);
  }

  /** Read afresh after an await (close() may have run meanwhile). */
  #isClosed(): boolean {
    return this.#closed;
  }

  setMuted(kind: 'audio' | 'video', muted: boolean): void {
    const producer = this.#producers.get(kind);
    if (!producer) return;
    if (muted) producer.pause();
    else producer.resume();
  }

  hasTrack(kind: 'audio' | 'video'): boolean {
    return this.#producers.has(kind);
  }

  /** "UDP 127.0.0.1:40123" for the receive path once ICE picked a pair. */
  async networkPath(): Promise<string | undefined> {
    const pair = await this.#selectedPair();
    return pair?.remote
      ? `${String(pair.remote.protocol).toUpperCase()} ${String(pair.remote.address)}:${String(pair.remote.port)}`
      : undefined;
  }

  async quality(): Promise<ConnectionQuality> {
    const pair = await this.#selectedPair();
    const rtt =
      typeof pair?.pair.currentRoundTripTime === 'number'
        ? pair.pair.currentRoundTripTime * 1000
        : null;
    const label = rtt === null ? 'unknown' : rtt < 150 ? 'good' : rtt < 400 ? 'fair' : 'poor';
    return { rttMs: rtt, label };
  }

  close(): void {
    this.#closed = true;
    this.#socket.off('media:newProducer', this.#onNewProducer);
    this.#socket.off('media:sendCodec', this.#onSendCodec);
    this.#socket.off('media:roomMoved', this.#onRoomMoved);
    this.#socket.off('media:producerClosed', this.#onProducerClosed);
    window.removeEventListener('online', this.#onOnline);
    for (const producer of this.#producers.values()) producer.track?.stop();
    if (this.#local) stopTracks(this.#local);
    this.#sendTransport?.close();
    this.#recvTransport?.close();
  }

  /** Tracks outlive producers: a codec switch sends the same microphone again. */
  #produce(transport: types.Transport, track: MediaStreamTrack): Promise<types.Producer> {
    if (track.kind !== 'audio') return transport.produce({ track, stopTracks: false });
    const codec = this.#audioCodec();
    return transport.produce({
      track,
      stopTracks: false,
      codecOptions: { opusDtx: true, opusFec: true },
      ...(codec ? { codec } : {}),
    });
  }

  /** Queues a switch to the wanted codec (a no-op when already sending it). */
  #switchCodec(): void {
    this.#codecSwitches = this.#codecSwitches
      .then(() => this.#useAudioCodec())
      .catch((error: unknown) => {
        console.warn('could not switch the microphone codec', error);
      });
  }

  /** The codec the server asked for, as this browser can send it. */
  #audioCodec(): types.RtpCodecCapability | undefined {
    const wanted = this.#wantedAudio;
    if (!wanted || !this.#device.loaded) return undefined;
    const codec = this.#device.sendRtpCapabilities.codecs?.find(
      (c) =>
        c.mimeType.toLowerCase() === wanted.mimeType.toLowerCase() &&
        c.clockRate === wanted.clockRate,
    );
    if (!codec) throw new Error(`this browser cannot send ${wanted.mimeType}`);
    return codec;
  }

  /**
   * Sends the microphone with the codec a phone settled on (no transcoding):
   * from the start if asked early, else by producing it again.
   */
  async #useAudioCodec(): Promise<void> {
    const producer = this.#producers.get('audio');
    const transport = this.#sendTransport;
    const codec = this.#audioCodec();
    const track = producer?.track;
    const current = producer?.rtpParameters.codecs[0]?.mimeType.toLowerCase();
    if (!codec || !producer || !track || !transport) return;
    if (current === codec.mimeType.toLowerCase()) return;
    const paused = producer.paused;
    unwrap(await this.#socket.emitWithAck('media:closeProducer', { producerId: producer.id }));
    producer.close();
    const next = await this.#produce(transport, track);
    if (paused) next.pause();
    this.#producers.set('audio', next);
  }

  async #selectedPair(): Promise<
    { pair: Record<string, unknown>; remote: Record<string, unknown> | undefined } | undefined
  > {
    const transport = this.#recvTransport;
    if (!transport || transport.closed) return undefined;
    const stats = await transport.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((entry: Record<string, unknown>) => byId.set(String(entry.id), entry));
    for (const entry of byId.values()) {
      if (entry.type !== 'transport' || typeof entry.selectedCandidatePairId !== 'string') continue;
      const pair = byId.get(entry.selectedCandidatePairId);
      if (pair) return { pair, remote: byId.get(String(pair.remoteCandidateId)) };
    }
    return undefined;
  }

  async #transport(direction: 'send' | 'recv'): Promise<TransportInfo & types.TransportOptions> {
    const info = unwrap(
      await this.#socket.emitWithAck('media:createTransport', { direction, policy: this.#policy }),
    );
    return info as TransportInfo & types.TransportOptions;
  }

  #wireConnect(transport: types.Transport): void {
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' || state === 'disconnected')
        void this.restartIce().catch(() => undefined);
    });
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#socket
        .emitWithAck('media:connectTransport', {
          transportId: transport.id,
          dtlsParameters: dtlsParameters,
        })
        .then((ack) => {
          unwrap(ack);
          callback();
        })
        .catch(errback);
    });
  }

  async #consume(producer: ProducerInfo): Promise<void> {
    const transport = this.#recvTransport;
    if (!transport || this.#closed || this.#consumed.has(producer.producerId)) return;
    this.#consumed.add(producer.producerId);
    const info = unwrap(
      await this.#socket.emitWithAck('media:consume', {
        transportId: transport.id,
        producerId: producer.producerId,
        rtpCapabilities: this.#device.recvRtpCapabilities,
      }),
    );
    const consumer = await transport.consume({
      id: info.id,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters as unknown as types.RtpParameters,
    });
    this.#consumers.set(producer.producerId, { consumer, producer });
    this.onTrack(consumer.track, producer);
    unwrap(await this.#socket.emitWithAck('media:resumeConsumer', { consumerId: consumer.id }));
  }
}
