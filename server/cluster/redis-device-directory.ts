// Every node's connected devices, in Redis, so a call started on any node
// ranks and rings the sender's devices wherever they are connected.
//   voxreply:presence:<account>   hash: "<node>/<device>" -> the device's activity (JSON)
// Each node writes only its own fields (a device with tabs on two nodes has
// two), so nodes never overwrite each other. A node that died leaves fields
// behind: readers skip (and delete) the fields of nodes without a heartbeat.
// After a Redis restart each node writes its connected devices again.
import { EventEmitter } from 'node:events';
import { publishedDeviceSchema } from '../../protocol/cluster.js';
import type { Logger } from '../logger.js';
import type { DeviceDirectory, DeviceDirectoryEvents } from '../presence/device-directory.js';
import type { Presence } from '../presence/presence.js';
import type { DeviceActivity } from '../presence/ranking.js';
import type { NodeBus, RedisClient } from './node-bus.js';

const presenceKey = (accountId: number): string => `voxreply:presence:${accountId}`;

export class RedisDeviceDirectory
  extends EventEmitter<DeviceDirectoryEvents>
  implements DeviceDirectory
{
  readonly #presence: Presence;
  readonly #redis: RedisClient;
  readonly #bus: NodeBus;
  readonly #log: Logger;
  readonly #republish = (): void => {
    for (const [accountId, deviceId] of this.#presence.allConnected()) {
      this.#write(accountId, deviceId);
    }
  };

  constructor(presence: Presence, redis: RedisClient, bus: NodeBus, logger: Logger) {
    super();
    this.#presence = presence;
    this.#redis = redis;
    this.#bus = bus;
    this.#log = logger.child({ component: 'device-directory' });
    presence.on('deviceUpdated', (accountId, deviceId) => this.#write(accountId, deviceId));
    for (const type of ['deviceLeft', 'deviceJoined'] as const) {
      presence.on(type, (accountId, deviceId) => {
        this.emit(type, accountId, deviceId);
        bus.notify({ type, accountId, deviceId });
      });
    }
    bus.onNotice((notice) => this.emit(notice.type, notice.accountId, notice.deviceId));
    redis.on('ready', this.#republish);
  }

  async connectedActivities(accountId: number): Promise<DeviceActivity[]> {
    const fields = Object.entries(await this.#redis.hGetAll(presenceKey(accountId)));
    const nodeOf = (field: string): string => field.slice(0, field.indexOf('/'));
    const alive = await this.#bus.alive([...new Set(fields.map(([field]) => nodeOf(field)))]);
    const dead = fields.filter(([field]) => !alive.has(nodeOf(field))).map(([field]) => field);
    if (dead.length > 0) {
      this.#redis
        .hDel(presenceKey(accountId), dead)
        .catch((error: unknown) => this.#log.warn({ err: error }, 'could not drop dead devices'));
    }
    const byDevice = new Map<string, DeviceActivity>();
    for (const [field, json] of fields) {
      if (!alive.has(nodeOf(field))) continue;
      const device = this.#parse(json);
      if (device) byDevice.set(device.deviceId, merge(byDevice.get(device.deviceId), device));
    }
    return [...byDevice.values()];
  }

  close(): void {
    this.#redis.off('ready', this.#republish);
  }

  #parse(json: string): DeviceActivity | undefined {
    try {
      return { ...publishedDeviceSchema.parse(JSON.parse(json)), online: true };
    } catch (error) {
      this.#log.error({ err: error }, 'unreadable device in Redis');
      return undefined;
    }
  }

  /** Publishes one device as this node sees it (or removes it, once it left this node). */
  #write(accountId: number, deviceId: string): void {
    const field = `${this.#bus.nodeId}/${deviceId}`;
    const activity = this.#presence.connectedActivity(accountId, deviceId);
    const done = activity
      ? this.#redis.hSet(presenceKey(accountId), field, JSON.stringify(published(activity)))
      : this.#redis.hDel(presenceKey(accountId), field);
    done.catch((error: unknown) =>
      this.#log.warn({ err: error, accountId, deviceId }, 'could not publish a device'),
    );
  }
}

function published(activity: DeviceActivity) {
  return publishedDeviceSchema.parse(activity);
}

/** One device connected to two nodes: the freshest input, either node's focus. */
function merge(a: DeviceActivity | undefined, b: DeviceActivity): DeviceActivity {
  if (!a) return b;
  const latest = (x: number | null, y: number | null) =>
    x === null ? y : y === null ? x : Math.max(x, y);
  return {
    ...a,
    lastInputAt: latest(a.lastInputAt, b.lastInputAt),
    lastAnsweredAt: latest(a.lastAnsweredAt, b.lastAnsweredAt),
    focused: a.focused || b.focused,
    visible: a.visible || b.visible,
  };
}
