// The parts that differ between one node and several: where presence and
// live calls are looked up, and whether requests are forwarded between nodes.
import { MemoryCallDirectory, type CallDirectory } from '../calls/call-directory.js';
import type { Logger } from '../logger.js';
import { LocalDeviceDirectory, type DeviceDirectory } from '../presence/device-directory.js';
import type { Presence } from '../presence/presence.js';
import type { RedisLink } from '../realtime/redis-adapter.js';
import type { VoxServer } from '../realtime/typed-server.js';
import { CallRouting } from './call-routing.js';
import { MediaLoad, type LoadSource } from './media-load.js';
import { NodeBus } from './node-bus.js';
import { RedisCallDirectory } from './redis-call-directory.js';
import { RedisDeviceDirectory } from './redis-device-directory.js';

export interface Cluster {
  /** This node's name (in the directories and on the bus). */
  nodeId: string;
  deviceDirectory: DeviceDirectory;
  callDirectory: CallDirectory;
  /** With several nodes: forwards requests about other nodes' calls. */
  routing: CallRouting | undefined;
  close(): void;
}

const LOCAL_NODE = 'local';

/** One node: everything in this process. */
export function singleNode(presence: Presence): Cluster {
  const deviceDirectory = new LocalDeviceDirectory(presence);
  const callDirectory = new MemoryCallDirectory(LOCAL_NODE);
  return {
    nodeId: LOCAL_NODE,
    deviceDirectory,
    callDirectory,
    routing: undefined,
    close: () => {
      deviceDirectory.close();
      callDirectory.stop();
    },
  };
}

/** Several nodes sharing one Redis. */
export async function joinCluster(
  io: VoxServer,
  redis: RedisLink,
  presence: Presence,
  workers: LoadSource,
  placement: 'cluster' | 'local',
  logger: Logger,
): Promise<Cluster> {
  const bus = new NodeBus(redis.publisher, redis.subscriber, logger);
  await bus.start();
  const deviceDirectory = new RedisDeviceDirectory(presence, redis.publisher, bus, logger);
  const callDirectory = new RedisCallDirectory(redis.publisher, bus.nodeId, logger);
  const media = new MediaLoad(redis.publisher, bus, workers, logger);
  await media.start();
  const routing = new CallRouting(
    io,
    bus,
    callDirectory,
    placement === 'cluster' ? media : undefined,
    () => workers.aliveCount > 0,
    logger,
  );
  logger.info({ node: bus.nodeId }, 'joined the cluster');
  return {
    nodeId: bus.nodeId,
    deviceDirectory,
    callDirectory,
    routing,
    close: () => {
      routing.close();
      media.close();
      deviceDirectory.close();
      callDirectory.stop();
      bus.close();
    },
  };
}
