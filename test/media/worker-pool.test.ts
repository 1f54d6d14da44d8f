// The pool places routers on the live worker with the fewest: routers asked
// for at the same instant (the calls of a dead worker moving, a burst of call
// starts) must spread over the workers, not all land on the one that looked
// emptiest before any of them existed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerMediaCodecs } from '../../media/codecs.js';
import { WorkerPool } from '../../media/worker-pool.js';
import { createLogger } from '../../server/logger.js';
import { freePortRange } from '../support/free-port.js';

let pool: WorkerPool;

beforeAll(async () => {
  const base = await freePortRange(2);
  pool = await WorkerPool.create({
    size: 2,
    rtcMinPort: 40000,
    rtcMaxPort: 40999,
    webRtcServer: { listenIp: '127.0.0.1', announcedAddress: undefined, basePort: base },
    logger: createLogger('silent'),
  });
});

afterAll(async () => {
  await pool.close();
});

describe('the worker pool', () => {
  it('spreads routers asked for at once over both workers', async () => {
    const routers = await Promise.all(
      Array.from({ length: 4 }, () => pool.createRouter({ mediaCodecs: routerMediaCodecs })),
    );
    const perWorker = new Map<number, number>();
    for (const { workerPid } of routers)
      perWorker.set(workerPid, (perWorker.get(workerPid) ?? 0) + 1);
    expect([...perWorker.values()]).toEqual([2, 2]);
    expect(pool.routerCount).toBe(4);
    for (const { router } of routers) router.close();
    expect(pool.routerCount).toBe(0);
  });
});
