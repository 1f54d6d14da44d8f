// A pool of mediasoup workers: one per core by default. A worker that dies is
// logged, counted and replaced; routers go to the least-loaded live worker.
import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { WorkerLoadReport } from '../protocol/cluster.js';
import type { MediaLogger } from './media-logger.js';

export interface WebRtcServerOptions {
  listenIp: string;
  /** Put in ICE candidates instead of listenIp (behind NAT, or a wildcard listenIp). */
  announcedAddress: string | undefined;
  /** Worker i listens on basePort + i, UDP and TCP. */
  basePort: number;
}

/** A router and the WebRtcServer of the worker it lives on. */
export interface PooledRouter {
  router: types.Router;
  webRtcServer: types.WebRtcServer;
  /** The worker process it lives in (for logs and operators). */
  workerPid: number;
}

export interface WorkerPoolOptions {
  size: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  webRtcServer: WebRtcServerOptions;
  logger: MediaLogger;
  /** Delay before a dead worker is replaced; grows while replacements keep dying. */
  respawnDelayMs?: number;
}

export interface WorkerPoolEvents {
  workerDied: [info: { pid: number; error: Error }];
  workerReplaced: [info: { pid: number }];
}

interface Slot {
  index: number;
  worker: types.Worker | undefined;
  webRtcServer: types.WebRtcServer | undefined;
  routers: number;
  transports: number;
  consumers: number;
  /** The worker's CPU time (ms) at the previous load reading, and when that was. */
  cpu: { ms: number; at: number };
  /** Consecutive deaths without a healthy minute in between (backs off respawns). */
  recentDeaths: number;
  respawnTimer: NodeJS.Timeout | undefined;
}

const HEALTHY_AFTER_MS = 60_000;
const MAX_RESPAWN_DELAY_MS = 30_000;

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #options: Required<WorkerPoolOptions>;
  readonly #slots: Slot[];
  #closed = false;
  #deaths = 0;

  private constructor(options: WorkerPoolOptions) {
    super();
    this.#options = { respawnDelayMs: 1000, ...options };
    this.#slots = Array.from({ length: options.size }, (_, index) => ({
      index,
      worker: undefined,
      webRtcServer: undefined,
      routers: 0,
      transports: 0,
      consumers: 0,
      cpu: { ms: 0, at: Date.now() },
      recentDeaths: 0,
      respawnTimer: undefined,
    }));
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      await Promise.all(pool.#slots.map((slot) => pool.#start(slot)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Workers that are alive now. */
  get aliveCount(): number {
    return this.#slots.filter((slot) => slot.worker && !slot.worker.closed).length;
  }

  /** Workers that died since the pool started. */
  get deathCount(): number {
    return this.#deaths;
  }

  get routerCount(): number {
    return this.#slots.reduce((sum, slot) => sum + slot.routers, 0);
  }

  get workerPids(): number[] {
    return this.#slots.flatMap((slot) => (slot.worker ? [slot.worker.pid] : []));
  }

  /** Configured workers (0: a signaling-only node, whose calls run on other nodes). */
  get size(): number {
    return this.#slots.length;
  }

  /** Each live worker's load (for placement across nodes): what it carries, its CPU since the last reading. */
  async loads(): Promise<WorkerLoadReport[]> {
    const live = this.#slots.filter((slot) => slot.worker && !slot.worker.closed);
    const readings = await Promise.all(
      live.map(async (slot): Promise<WorkerLoadReport | undefined> => {
        const worker = slot.worker;
        if (!worker) return undefined;
        const usage = await worker.getResourceUsage().catch(() => undefined);
        if (!usage || slot.worker !== worker) return undefined;
        const now = Date.now();
        const ms = usage.ru_utime + usage.ru_stime;
        const cpu = Math.max(0, (ms - slot.cpu.ms) / Math.max(1, now - slot.cpu.at));
        slot.cpu = { ms, at: now };
        const { routers, transports, consumers } = slot;
        return { pid: worker.pid, routers, transports, consumers, cpu: Math.min(1, cpu) };
      }),
    );
    return readings.filter((load): load is WorkerLoadReport => load !== undefined);
  }

  /** Creates a router on the live worker with the fewest routers. */
  async createRouter(options: types.RouterOptions): Promise<PooledRouter> {
    const live = this.#slots.filter((slot) => slot.worker && !slot.worker.closed);
    const slot = live.reduce<Slot | undefined>(
      (best, candidate) => (!best || candidate.routers < best.routers ? candidate : best),
      undefined,
    );
    if (!slot?.worker || !slot.webRtcServer) throw new Error('no live mediasoup worker');
    const { worker, webRtcServer } = slot;
    // Counted before the await: routers asked for at once (the calls of a dead
    // worker moving) spread over the workers instead of piling onto one.
    slot.routers += 1;
    let router: types.Router;
    try {
      router = await worker.createRouter(options);
    } catch (error) {
      if (slot.worker === worker) slot.routers -= 1;
      throw error;
    }
    router.observer.once('close', () => {
      // Routers of a dead worker close after the slot got its replacement.
      if (slot.worker === worker) slot.routers -= 1;
    });
    this.#countMedia(slot, worker, router);
    return { router, webRtcServer, workerPid: worker.pid };
  }

  /** Counts the router's transports and consumers on its worker's slot while they live. */
  #countMedia(slot: Slot, worker: types.Worker, router: types.Router): void {
    const mine = (): boolean => slot.worker === worker;
    router.observer.on('newtransport', (transport) => {
      slot.transports += 1;
      transport.observer.once('close', () => mine() && (slot.transports -= 1));
      transport.observer.on('newconsumer', (consumer) => {
        slot.consumers += 1;
        consumer.observer.once('close', () => mine() && (slot.consumers -= 1));
      });
    });
  }

  /** Closes every worker and resolves once their processes have exited. */
  async close(): Promise<void> {
    this.#closed = true;
    const exits: Promise<void>[] = [];
    for (const slot of this.#slots) {
      clearTimeout(slot.respawnTimer);
      const worker = slot.worker;
      if (!worker || worker.subprocessClosed) continue;
      exits.push(new Promise((resolve) => worker.once('subprocessclose', () => resolve())));
      worker.close();
    }
    await Promise.all(exits);
  }

  async #start(slot: Slot): Promise<void> {
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: this.#options.rtcMinPort,
      rtcMaxPort: this.#options.rtcMaxPort,
    });
    if (this.#closed) {
      worker.close();
      return;
    }
    const { listenIp, announcedAddress, basePort } = this.#options.webRtcServer;
    const listen = (protocol: 'udp' | 'tcp'): types.TransportListenInfo => ({
      protocol,
      ip: listenIp,
      port: basePort + slot.index,
      ...(announcedAddress ? { announcedAddress } : {}),
    });
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [listen('udp'), listen('tcp')],
      });
    } catch (error) {
      worker.close();
      throw error;
    }
    slot.webRtcServer = webRtcServer;
    slot.worker = worker;
    slot.routers = 0;
    slot.transports = 0;
    slot.consumers = 0;
    slot.cpu = { ms: 0, at: Date.now() };
    const startedAt = Date.now();
    worker.on('died', (error) => {
      this.#onDied(slot, worker, error, Date.now() - startedAt);
    });
    this.#options.logger.info(
      { pid: worker.pid, slot: slot.index, webRtcPort: basePort + slot.index },
      'mediasoup worker started',
    );
  }

  #onDied(slot: Slot, worker: types.Worker, error: Error, livedMs: number): void {
    this.#deaths += 1;
    slot.recentDeaths = livedMs > HEALTHY_AFTER_MS ? 1 : slot.recentDeaths + 1;
    this.#options.logger.error(
      { pid: worker.pid, slot: slot.index, err: error },
      'mediasoup worker died; replacing it',
    );
    this.emit('workerDied', { pid: worker.pid, error });
    this.#scheduleRespawn(slot);
  }

  #scheduleRespawn(slot: Slot): void {
    if (this.#closed) return;
    // Back off while replacements keep dying, so a crashing binary cannot spin.
    const delay = Math.min(
      this.#options.respawnDelayMs * 2 ** Math.max(slot.recentDeaths - 1, 0),
      MAX_RESPAWN_DELAY_MS,
    );
    slot.respawnTimer = setTimeout(() => {
      this.#start(slot).then(
        () => {
          if (slot.worker) this.emit('workerReplaced', { pid: slot.worker.pid });
        },
        (startError: unknown) => {
          this.#options.logger.error(
            { slot: slot.index, err: startError },
            'could not replace mediasoup worker; retrying',
          );
          slot.recentDeaths += 1;
          this.#scheduleRespawn(slot);
        },
      );
    }, delay);
  }
}
