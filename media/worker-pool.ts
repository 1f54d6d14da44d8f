// A pool of mediasoup workers: one per core by default. A worker that dies is
// logged, counted and replaced; routers go to the least-loaded live worker.
import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
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
    return { router, webRtcServer, workerPid: worker.pid };
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
