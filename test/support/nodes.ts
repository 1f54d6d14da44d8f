// Several server processes sharing a throwaway PostgreSQL and Redis, as the
// nodes of one deployment do (the first runs the migrations).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';
import { startPostgres } from './postgres.js';
import { startRedis, type Redis } from './redis.js';
import { startServer, type RunningServer } from './server-process.js';

export interface Nodes {
  nodes: RunningServer[];
  redis: Redis;
  /**
   * Starts one more node of the same deployment (a test that kills one needs
   * a fresh one); `own`: settings of this node only (its SMTP relay port).
   */
  add: (own?: Record<string, string>) => Promise<RunningServer>;
  stop: () => Promise<void>;
}

export interface TwoNodes extends Nodes {
  nodeA: RunningServer;
  nodeB: RunningServer;
}

export async function startNodes(
  count: number,
  settings: Record<string, string> = {},
): Promise<Nodes> {
  const postgres = await startPostgres();
  const redis = await startRedis();
  const shared = {
    RATE_LIMIT_MULTIPLIER: '100',
    ...settings,
    DATABASE_URL: await postgres.newDatabase(),
    REDIS_URL: redis.url,
    // Every node seals and opens values with the same key.
    SECRET_KEY: randomBytes(32).toString('base64'),
  };
  const nodes: RunningServer[] = [];
  const add = async (own: Record<string, string> = {}): Promise<RunningServer> => {
    const node = await startServer({ ...shared, ...own });
    nodes.push(node);
    return node;
  };
  // One after the other: the first runs the migrations.
  for (let i = 0; i < count; i += 1) await add();
  return {
    nodes,
    redis,
    add,
    // A node a test killed already has exited: stopping it again is a no-op.
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.stop();
      postgres.stop();
    },
  };
}

export async function startTwoNodes(settings: Record<string, string> = {}): Promise<TwoNodes> {
  const started = await startNodes(2, settings);
  const [nodeA, nodeB] = started.nodes as [RunningServer, RunningServer];
  return { ...started, nodeA, nodeB };
}

/** What Redis says about a running cluster (the keys the nodes write; ADRs 015-017). */
export interface ClusterView {
  /** The node the call directory says runs a call. */
  callOwner: (callId: string) => Promise<string | undefined>;
  /** The nodes whose media load report is live (those with workers), sorted. */
  mediaNodes: () => Promise<string[]>;
  /**
   * The server process running a call: the call directory names its node,
   * the node's load report names its worker, whose parent is the server.
   */
  serverRunning: (callId: string) => Promise<RunningServer | undefined>;
  close: () => Promise<void>;
}

export async function viewCluster(cluster: Nodes): Promise<ClusterView> {
  const redis = createClient({ url: cluster.redis.url });
  await redis.connect();
  const callOwner = async (callId: string) =>
    (await redis.hGet(`voxreply:call:${callId}`, 'node')) ?? undefined;
  const loadOf = async (node: string) =>
    JSON.parse((await redis.get(`voxreply:media:${node}`)) ?? 'null') as {
      workers: { pid: number }[];
    } | null;
  return {
    callOwner,
    mediaNodes: async () => {
      const nodes = await redis.sMembers('voxreply:media:nodes');
      const live = await Promise.all(nodes.map(async (node) => (await loadOf(node)) !== null));
      return nodes.filter((_, i) => live[i]).sort();
    },
    serverRunning: async (callId) => {
      const worker = (await loadOf((await callOwner(callId)) ?? ''))?.workers[0]?.pid;
      if (!worker) return undefined;
      const stat = readFileSync(`/proc/${worker}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return cluster.nodes.find((server) => server.process.pid === parent);
    },
    close: async () => {
      await redis.quit();
    },
  };
}
