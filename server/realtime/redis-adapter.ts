// Several signaling nodes, one Redis: Socket.IO's Redis adapter carries every
// emit to a room (a link's chat, a sender's desks, an email's watchers, a
// device's rings) to the sockets connected to the other nodes too. The
// connections reconnect by themselves when Redis restarts; until then each
// node still serves its own sockets.
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient, type RedisClientType } from 'redis';
import type { Logger } from '../logger.js';
import type { VoxServer } from './typed-server.js';

export interface RedisLink {
  /** Commands and publishes (the adapter's, and the node bus's: one ordered stream). */
  publisher: RedisClientType;
  /** Subscriptions only. */
  subscriber: RedisClientType;
  close(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 10_000;

/** Waits between reconnection attempts: quick at first, then every 2 s. */
const reconnectDelay = (retries: number): number => Math.min(50 * 2 ** retries, 2000);

export async function useRedisAdapter(
  io: VoxServer,
  url: string,
  logger: Logger,
): Promise<RedisLink> {
  const log = logger.child({ component: 'redis' });
  const publisher: RedisClientType = createClient({
    url,
    socket: { reconnectStrategy: reconnectDelay },
  });
  const subscriber = publisher.duplicate();
  for (const [role, client] of [
    ['publisher', publisher],
    ['subscriber', subscriber],
  ] as const) {
    client.on('error', (error: unknown) =>
      log.warn({ err: error, role }, 'redis connection failed; retrying'),
    );
    client.on('ready', () => log.info({ role }, 'redis connected'));
  }
  // At start-up Redis must answer: a node that cannot reach it would serve
  // its own sockets only, unknowingly. Later outages are waited out instead.
  let timer: NodeJS.Timeout | undefined;
  const unreachable = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`cannot reach Redis at REDIS_URL within ${STARTUP_TIMEOUT_MS / 1000} s`)),
      STARTUP_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([Promise.all([publisher.connect(), subscriber.connect()]), unreachable]);
  } catch (error) {
    publisher.destroy();
    subscriber.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  io.adapter(createAdapter(publisher, subscriber));
  return {
    publisher,
    subscriber,
    close: async () => {
      await Promise.all([publisher.close(), subscriber.close()]);
    },
  };
}
