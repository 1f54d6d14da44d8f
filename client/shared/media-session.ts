// One peer's media over mediasoup-client: a send and a receive transport, the
// local microphone produced, every remote producer consumed.
import { Device, type types } from 'mediasoup-client';
import type { Ack } from '../../protocol/ack.js';
import type { ProducerInfo, TransportInfo, TransportPolicy } from '../../protocol/media.js';
import type { VoxClientSocket } from './connection.js';

function unwrap<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

export class MediaSession {
  /** Called with each remote track as it starts. */
  onTrack: (track: MediaStreamTrack, producer: ProducerInfo) => void = () => undefined;
  started = false;

  readonly #socket: VoxClientSocket;
  readonly #policy: TransportPolicy;
  readonly #device = new Device();
  #recvTransport: types.Transport | undefined;
  readonly #consumed = new Set<string>();
  /** Producers announced before the receive transport existed. */
  readonly #waiting: ProducerInfo[] = [];

  constructor(socket: VoxClientSocket, policy: TransportPolicy) {
    this.#socket = socket;
    this.#policy = policy;
  }

  async start(room: string, microphone: Promise<MediaStream>): Promise<void> {
    this.started = true;
    // Listen before joining: a producer may appear while transports are set up.
    this.#socket.on('media:newProducer', (producer) => {
      if (this.#recvTransport) void this.#consume(producer);
      else this.#waiting.push(producer);
    });
    const joined = unwrap(await this.#socket.emitWithAck('media:join', { room }));
    await this.#device.load({
      routerRtpCapabilities: joined.routerRtpCapabilities,
    });
    const sendTransport = this.#device.createSendTransport(await this.#transport('send'));
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
    this.#recvTransport = this.#device.createRecvTransport(await this.#transport('recv'));
    this.#wireConnect(this.#recvTransport);

    const track = (await microphone).getAudioTracks()[0];
    if (!track) throw new Error('no microphone track');
    await sendTransport.produce({ track, codecOptions: { opusDtx: true, opusFec: true } });
    const known = [...joined.producers, ...this.#waiting.splice(0)];
    await Promise.all(known.map((producer) => this.#consume(producer)));
  }

  /** "UDP 127.0.0.1:40123" for the receive path once ICE picked a pair. */
  async networkPath(): Promise<string | undefined> {
    const transport = this.#recvTransport;
    if (!transport) return undefined;
    const stats = await transport.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((entry: Record<string, unknown>) => byId.set(String(entry.id), entry));
    for (const entry of byId.values()) {
      if (entry.type !== 'transport' || typeof entry.selectedCandidatePairId !== 'string') continue;
      const pair = byId.get(entry.selectedCandidatePairId);
      const remote = pair && byId.get(String(pair.remoteCandidateId));
      if (remote) {
        const protocol = String(remote.protocol).toUpperCase();
        return `${protocol} ${String(remote.address)}:${String(remote.port)}`;
      }
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
    if (!transport || this.#consumed.has(producer.producerId)) return;
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
    this.onTrack(consumer.track, producer);
    unwrap(await this.#socket.emitWithAck('media:resumeConsumer', { consumerId: consumer.id }));
  }
}
