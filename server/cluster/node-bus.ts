// Messages between signaling nodes over Redis pub/sub: a request to one node
// (answered by a reply), notices to every node, and each node's heartbeat
// (a key that expires when the node stops refreshing it, e.g. killed).
//
// The bus publishes on the same Redis connection as the Socket.IO adapter:
// Redis delivers one connection's messages in order, so a socket hears the
// events a node emitted to it before that node's reply to its request.
import type { RedisClientType } from 'redis';
import {
  busMessageSchema,
  type BusMessage,
  type BusRequest,
  type DeviceNotice,
  type ForwardedPeer,
} from '../../protocol/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import { RequestError } from '../errors.js';
import { randomToken } from '../security/tokens.js';

export type RedisClient = RedisClientType;

/** A node whose heartbeat is older than this counts as dead. */
const NODE_TTL_MS = 15_000;
const HEARTBEAT_MS = 5_000;
/** Between the two looks at whether a node has gone. */
const RELOOK_MS = 250;
/** A request to another node fails after this long without a reply. */
const REQUEST_TIMEOUT_MS = 5_000;

const PREFIX = 'voxreply';
const nodeChannel = (node: string): string => `${PREFIX}:bus:${node}`;
const noticeChannel = `${PREFIX}:bus:all`;
const heartbeatKey = (node: string): string => `${PREFIX}:node:${node}`;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export type RequestHandler = (request: BusRequest) => Promise<unknown>;

export class NodeBus {
  /** This process's name on the bus (new at every start). */
  readonly nodeId = randomToken(8);
  readonly #publisher: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #log: Logger;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #heartbeat: NodeJS.Timeout | undefined;
  #onRequest: RequestHandler = () =>
    Promise.reject(new RequestError(ErrorCode.Internal, 'node not ready'));
  readonly #noticeHandlers: ((notice: DeviceNotice) => void)[] = [];

  constructor(publisher: RedisClient, subscriber: RedisClient, logger: Logger) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#log = logger.child({ component: 'node-bus', node: this.nodeId });
  }

  async start(): Promise<void> {
    await this.#subscriber.subscribe([nodeChannel(this.nodeId), noticeChannel], (raw) =>
      this.#received(raw),
    );
    await this.#beat();
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.#heartbeat.unref();
    // After a Redis restart the heartbeat key is gone: write it at once.
    this.#publisher.on('ready', () => void this.#beat());
  }

  /** Serves the requests other nodes send this one. */
  serve(handler: RequestHandler): void {
    this.#onRequest = handler;
  }

  onNotice(handler: (notice: DeviceNotice) => void): void {
    this.#noticeHandlers.push(handler);
  }

  /** Runs `event` on `node` for `peer`; rejects with the RequestError that node answered. */
  request(
    node: string,
    event: string,
    peer: ForwardedPeer,
    payload: unknown,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<unknown> {
    const id = this.#nextId++;
    const message: BusMessage = { type: 'request', id, from: this.nodeId, event, peer, payload };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestError(ErrorCode.Internal, 'the node running this call did not answer'));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#publish(nodeChannel(node), message);
    });
  }

  /** Tells every other node. */
  notify(notice: Omit<DeviceNotice, 'from'>): void {
    this.#publish(noticeChannel, { ...notice, from: this.nodeId });
  }

  /** Which of these nodes are alive (their heartbeat is fresh). */
  async alive(nodes: string[]): Promise<Set<string>> {
    if (nodes.length === 0) return new Set();
    const beats = await this.#publisher.mGet(nodes.map(heartbeatKey));
    return new Set(nodes.filter((_, i) => beats[i] !== null));
  }

  /**
   * Which of these nodes have gone: nobody listens on their bus channel any
   * more. A killed process's connections close at once, so this is known
   * within a round trip (a heartbeat takes 15 s to expire); a node that is
   * merely slow still listens. Asked twice, a moment apart, so a node that
   * is resubscribing (Redis restarted) does not count as gone.
   */
  async gone(nodes: string[]): Promise<Set<string>> {
    let gone = new Set(nodes);
    for (let look = 0; look < 2 && gone.size > 0; look += 1) {
      if (look > 0) await new Promise((resolve) => setTimeout(resolve, RELOOK_MS));
      const listening = await this.listening([...gone]);
      gone = new Set([...gone].filter((node) => !listening.has(node)));
    }
    return gone;
  }

  /** Which of these nodes listen on their bus channel now (one look). */
  async listening(nodes: string[]): Promise<Set<string>> {
    if (nodes.length === 0) return new Set();
    const listeners = await this.#publisher.pubSubNumSub(nodes.map(nodeChannel));
    return new Set(nodes.filter((node) => (listeners[nodeChannel(node)] ?? 0) > 0));
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new RequestError(ErrorCode.Internal, 'this node is shutting down'));
    }
    this.#pending.clear();
  }

  async #beat(): Promise<void> {
    try {
      await this.#publisher.set(heartbeatKey(this.nodeId), String(Date.now()), {
        PX: NODE_TTL_MS,
      });
    } catch (error) {
      this.#log.warn({ err: error }, 'could not refresh the node heartbeat');
    }
  }

  #publish(channel: string, message: BusMessage): void {
    this.#publisher
      .publish(channel, JSON.stringify(message))
      .catch((error: unknown) => this.#log.error({ err: error, channel }, 'could not publish'));
  }

  #received(raw: string): void {
    let message: BusMessage;
    try {
      message = busMessageSchema.parse(JSON.parse(raw));
    } catch (error) {
      this.#log.error({ err: error }, 'unreadable message from another node');
      return;
    }
    switch (message.type) {
      case 'request':
        return this.#answer(message);
      case 'reply': {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.error)
          pending.reject(new RequestError(message.error.code, message.error.message));
        else pending.resolve(message.result);
        return;
      }
      case 'deviceJoined':
      case 'deviceLeft':
        if (message.from === this.nodeId) return;
        for (const handler of this.#noticeHandlers) handler(message);
    }
  }

  #answer(request: BusRequest): void {
    const reply = (fields: { result: unknown; error?: { code: ErrorCode; message: string } }) =>
      this.#publish(nodeChannel(request.from), { type: 'reply', id: request.id, ...fields });
    this.#onRequest(request).then(
      (result) => reply({ result: result ?? null }),
      (error: unknown) => {
        if (error instanceof RequestError) {
          reply({ result: null, error: { code: error.code, message: error.message } });
        } else {
          this.#log.error({ err: error, event: request.event }, 'forwarded request failed');
          reply({ result: null, error: { code: ErrorCode.Internal, message: 'internal error' } });
        }
      },
    );
  }
}
