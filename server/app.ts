// The composition root: builds every part from validated config and wires them.
// Nothing else constructs long-lived parts.
import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { WorkerPool } from '../media/worker-pool.js';
import type { Config } from './config.js';
import { clientRoutes } from './http/client-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { metricsRoutes } from './http/metrics-routes.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { clientDistDir, projectVersion } from './project-paths.js';
import { DiagnosticsRooms } from './realtime/diagnostics-rooms.js';
import { createSocketServer } from './realtime/socket-server.js';
import type { VoxServer } from './realtime/typed-server.js';
import { migrateToLatest, openDatabase, storeLocation } from './store/database.js';
import type { Database } from './store/schema.js';

export interface App {
  io: VoxServer;
  pool: WorkerPool;
  db: Kysely<Database>;
  /** Listening URL (the bound address, which for port 0 differs from config). */
  url: string;
  close(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger): Promise<App> {
  if (config.redisUrl) {
    logger.warn(
      'REDIS_URL is set, but shared multi-node state is not built yet: this node keeps presence and calls in process',
    );
  }

  const location = storeLocation(config.dataDir, config.databaseUrl);
  const db = openDatabase(location);
  const applied = await migrateToLatest(db);
  logger.info({ store: location.kind, applied }, 'store ready');

  const pool = await WorkerPool.create({
    size: config.mediasoupWorkers,
    rtcMinPort: config.rtcMinPort,
    rtcMaxPort: config.rtcMaxPort,
    logger: logger.child({ component: 'media' }),
  });

  const http = Fastify({
    loggerInstance: logger.child({ component: 'http' }),
    bodyLimit: 64 * 1024,
  });
  const io = createSocketServer(http.server, { version: projectVersion, logger });
  const diagnostics = config.diagnosticsRooms
    ? new DiagnosticsRooms(
        io,
        pool,
        { listenIp: config.rtcListenIp, announcedAddress: config.announcedAddress },
        logger,
      )
    : undefined;
  if (diagnostics) io.on('connection', (socket) => diagnostics.attach(socket));

  const metrics = createMetrics({
    socketConnections: () => io.engine.clientsCount,
    workersAlive: () => pool.aliveCount,
    routers: () => pool.routerCount,
  });
  pool.on('workerDied', () => metrics.workerDeaths.inc());

  await http.register(healthRoutes, {
    version: projectVersion,
    workersAlive: () => pool.aliveCount,
  });
  await http.register(metricsRoutes, { registry: metrics.registry });
  await http.register(clientRoutes, {
    distDir: clientDistDir,
    diagnostics: config.diagnosticsRooms,
  });

  const address = await http.listen({ host: config.host, port: config.port });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // Stop accepting, tell sockets goodbye, then free media and the store.
      diagnostics?.closeAll();
      await io.close().catch((error: unknown) => logger.warn({ err: error }, 'socket close'));
      await http.close();
      await pool.close();
      await db.destroy();
    })());

  return { io, pool, db, url: address, close };
}
