// Two server processes sharing a throwaway PostgreSQL and Redis, as several
// nodes of one deployment do (the first runs the migrations).
import { randomBytes } from 'node:crypto';
import { startPostgres } from './postgres.js';
import { startRedis, type Redis } from './redis.js';
import { startServer, type RunningServer } from './server-process.js';

export interface TwoNodes {
  nodeA: RunningServer;
  nodeB: RunningServer;
  redis: Redis;
  stop: () => Promise<void>;
}

export async function startTwoNodes(settings: Record<string, string> = {}): Promise<TwoNodes> {
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
  // One after the other: the first runs the migrations.
  const nodeA = await startServer(shared);
  const nodeB = await startServer(shared);
  return {
    nodeA,
    nodeB,
    redis,
    stop: async () => {
      await Promise.all([nodeA.stop(), nodeB.stop()]);
      await redis.stop();
      postgres.stop();
    },
  };
}
