// The parts that differ between one node and several: where presence and
// live calls are looked up, and whether requests are forwarded between nodes.
import { MemoryCallDirectory, type CallDirectory } from '../calls/call-directory.js';
import type { Logger } from '../logger.js';
import { LocalDeviceDirectory, type DeviceDirectory } from '../presence/device-directory.js';
import type { Presence } from '../presence/presence.js';
import type { RedisLink } from '../realtime/redis-adapter.js';
import type { VoxServer } from '../realtime/typed-server.js';
import { CallRouting, type ClusterLinks, type NodeHandlers } from './call-routing.js';
import { MediaLoad, type LoadSource } from './media-load.js';
import { NodeBus } from './node-bus.js';
import { RedisCallDirectory } from './redis-call-directory.js';
import { RedisDeviceDirectory } from './redis-device-directory.js';

export interface Cluster {
  /** This node's name (in the directories and on the bus). */
  nodeId: string;
  deviceDirectory: DeviceDirectory;
  callDirectory: CallDirectory;
  /** With several nodes: runs requests about calls on the node running them. */
  routing: ClusterRouting | undefined;
  close(): void;
}

export interface ClusterRouting {
  /** The routing layer around this node's handlers, built once they exist (it serves the bus). */
  around(handlers: NodeHandlers): CallRouting;
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
  const links: ClusterLinks = {
    io,
    bus,
    directory: callDirectory,
    media: placement === 'cluster' ? media : undefined,
    hostsMedia: () => workers.aliveCount > 0,
    logger,
  };
  let routing: CallRouting | undefined;
  const around = (handlers: NodeHandlers): CallRouting => {
    // One layer serves the bus: a second would take its requests from the first.
    if (routing) throw new Error('the call routing is built already');
    routing = new CallRouting(handlers, links);
    return routing;
  };
  logger.info({ node: bus.nodeId }, 'joined the cluster');
  return {
    nodeId: bus.nodeId,
    deviceDirectory,
    callDirectory,
    routing: { around },
    close: () => {
      routing?.close();
      media.close();
      deviceDirectory.close();
      callDirectory.stop();
      bus.close();
    },
  };
}
