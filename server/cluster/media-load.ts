// Where a new call's media goes, cluster-wide. Every node with media workers
// publishes their load to Redis every 2 s (routers, transports, consumers and
// CPU per worker); a new call goes to the node whose least-loaded worker is
// the least loaded of all, and that node runs the call (ADR 017).
//   voxreply:media:nodes     set of the nodes that publish
//   voxreply:media:<node>    {at, workers: WorkerLoad[]}, expires 6 s after the last publication
import {
  mediaLoadSchema,
  type MediaLoadReport,
  type WorkerLoadReport,
} from '../../protocol/cluster.js';
import type { Logger } from '../logger.js';
import type { NodeBus, RedisClient } from './node-bus.js';

const PUBLISH_MS = 2_000;
const LOAD_TTL_MS = 6_000;
/** How long one read of the reports serves new calls. */
const CACHE_MS = 1_000;
const NODES_KEY = 'voxreply:media:nodes';
const loadKey = (node: string): string => `voxreply:media:${node}`;

/** The media workers of this node, as MediaLoad reads them. */
export interface LoadSource {
  readonly size: number;
  /** Workers alive now. */
  readonly aliveCount: number;
  loads(): Promise<WorkerLoadReport[]>;
}

/**
 * Lower is less loaded: CPU first (in 10 % steps, so noise does not decide),
 * then consumers, transports and routers.
 */
function loadOrder(worker: WorkerLoadReport): number[] {
  return [Math.round(worker.cpu * 10), worker.consumers, worker.transports, worker.routers];
}

function lighter(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i += 1) {
    const [x, y] = [a[i] ?? 0, b[i] ?? 0];
    if (x !== y) return x < y;
  }
  return false;
}

export class MediaLoad {
  readonly #redis: RedisClient;
  readonly #node: string;
  readonly #source: LoadSource;
  readonly #bus: NodeBus;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  /**
   * Calls placed on each node since the publication they were placed by
   * (each counted as a router, two transports and a consumer): starts in one
   * burst spread out instead of all going to the node that looked idlest 2 s ago.
   */
  readonly #placed = new Map<string, { at: number; calls: number }>();
  /** The reports last read, and when: starts in a burst share one read. */
  #cache: { reports: Map<string, MediaLoadReport>; readAt: number } | undefined;

  constructor(redis: RedisClient, bus: NodeBus, source: LoadSource, logger: Logger) {
    this.#redis = redis;
    this.#bus = bus;
    this.#node = bus.nodeId;
    this.#source = source;
    this.#log = logger.child({ component: 'media-load' });
  }

  /** Publishes this node's load now and every 2 s (nothing for a signaling-only node). */
  async start(): Promise<void> {
    if (this.#source.size === 0) return;
    await this.#publish();
    this.#timer = setInterval(() => void this.#publish(), PUBLISH_MS);
    this.#timer.unref();
  }

  /**
   * The node a new call should run on (never one of `exclude`); undefined
   * when no live node publishes a worker.
   */
  async leastLoaded(exclude: ReadonlySet<string> = new Set()): Promise<string | undefined> {
    const reports = new Map(await this.#reports());
    for (const node of exclude) reports.delete(node);
    // A node killed a moment ago still has a report (for up to 6 s), but nobody listens for it.
    const listening = await this.#bus.listening([...reports.keys()]);
    for (const node of reports.keys()) if (!listening.has(node)) reports.delete(node);
    let best: { node: string; order: number[] } | undefined;
    for (const [node, report] of reports) {
      const placed = this.#placed.get(node);
      const extra = placed?.at === report.at ? placed.calls : 0;
      for (const worker of report.workers) {
        // A call placed since the report: two transports and a consumer or two more.
        const order = loadOrder({
          ...worker,
          routers: worker.routers + extra,
          transports: worker.transports + 2 * extra,
          consumers: worker.consumers + extra,
        });
        // Ties stay on this node: no forwarding hop.
        const better =
          !best ||
          lighter(order, best.order) ||
          (!lighter(best.order, order) && node === this.#node);
        if (better) best = { node, order };
      }
    }
    if (best) {
      const report = reports.get(best.node);
      const placed = this.#placed.get(best.node);
      const calls = placed && placed.at === report?.at ? placed.calls + 1 : 1;
      this.#placed.set(best.node, { at: report?.at ?? 0, calls });
    }
    return best?.node;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #publish(): Promise<void> {
    try {
      const report: MediaLoadReport = { at: Date.now(), workers: await this.#source.loads() };
      await this.#redis
        .multi()
        .set(loadKey(this.#node), JSON.stringify(report), { PX: LOAD_TTL_MS })
        .sAdd(NODES_KEY, this.#node)
        .exec();
    } catch (error) {
      this.#log.warn({ err: error }, 'could not publish the media load');
    }
  }

  /**
   * The reports, read again when the last read is over a second old (they
   * change every 2 s) or found no node; a node killed since is filtered out
   * by the caller's one look at who listens.
   */
  async #reports(): Promise<Map<string, MediaLoadReport>> {
    const cache = this.#cache;
    if (cache && cache.reports.size > 0 && Date.now() - cache.readAt < CACHE_MS) {
      return cache.reports;
    }
    const reports = await this.#read();
    this.#cache = { reports, readAt: Date.now() };
    return reports;
  }

  /** Every publishing node's last report; the nodes whose reports expired are forgotten. */
  async #read(): Promise<Map<string, MediaLoadReport>> {
    const nodes = await this.#redis.sMembers(NODES_KEY);
    if (nodes.length === 0) return new Map();
    const raw = await this.#redis.mGet(nodes.map(loadKey));
    const reports = new Map<string, MediaLoadReport>();
    const gone: string[] = [];
    nodes.forEach((node, i) => {
      const json = raw[i];
      if (json) reports.set(node, mediaLoadSchema.parse(JSON.parse(json)));
      else gone.push(node);
    });
    if (gone.length > 0) await this.#redis.sRem(NODES_KEY, gone);
    return reports;
  }
}
