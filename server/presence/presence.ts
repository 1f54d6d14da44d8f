// Live presence of every sender's devices on this node: which sockets speak for
// which device, the last activity beat, and the derived device states and
// sender status. Durable facts (labels, preferences) live in the DeviceStore.
import { EventEmitter } from 'node:events';
import type {
  ActivityBeat,
  DeviceState,
  DeviceView,
  RingPreference,
} from '../../protocol/presence.js';
import type { StoredDevice } from '../store/device-store.js';
import { ACTIVE_WITHIN_MS, type DeviceActivity } from './ranking.js';

/** A device whose last socket went away stays online this long (page reloads). */
export const OFFLINE_GRACE_MS = 5_000;

interface LiveDevice {
  deviceId: string;
  label: string;
  platform: string;
  ringPreference: RingPreference;
  sockets: Set<string>;
  lastInputAt: number | null;
  lastAnsweredAt: number | null;
  focused: boolean;
  visible: boolean;
  offlineTimer: NodeJS.Timeout | undefined;
}

export interface PresenceEvents {
  /** Something a desk app shows about this account changed. */
  changed: [accountId: number];
  /** A device's last socket disconnected (before the grace period). */
  deviceLeft: [accountId: number, deviceId: string];
  /** A device that had no socket here got one. */
  deviceJoined: [accountId: number, deviceId: string];
  /** Anything about a connected device changed (for nodes that publish it). */
  deviceUpdated: [accountId: number, deviceId: string];
}

export class Presence extends EventEmitter<PresenceEvents> {
  readonly #accounts = new Map<number, Map<string, LiveDevice>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    super();
    this.#now = now;
  }

  /** A socket announced itself as this device. */
  hello(accountId: number, socketId: string, stored: StoredDevice): void {
    const devices = this.#devicesOf(accountId);
    let device = devices.get(stored.deviceId);
    if (!device) {
      device = {
        deviceId: stored.deviceId,
        label: stored.label,
        platform: stored.platform,
        ringPreference: stored.ringPreference,
        sockets: new Set(),
        lastInputAt: stored.lastInputAt?.getTime() ?? null,
        lastAnsweredAt: stored.lastAnsweredAt?.getTime() ?? null,
        focused: false,
        visible: true,
        offlineTimer: undefined,
      };
      devices.set(stored.deviceId, device);
    }
    Object.assign(device, {
      label: stored.label,
      platform: stored.platform,
      ringPreference: stored.ringPreference,
    });
    clearTimeout(device.offlineTimer);
    device.offlineTimer = undefined;
    const joined = device.sockets.size === 0;
    device.sockets.add(socketId);
    if (joined) this.emit('deviceJoined', accountId, stored.deviceId);
    this.emit('deviceUpdated', accountId, stored.deviceId);
    this.emit('changed', accountId);
  }

  /** Returns true when the device went from idle to active. */
  activity(accountId: number, deviceId: string, beat: ActivityBeat): boolean {
    const device = this.#accounts.get(accountId)?.get(deviceId);
    if (!device) return false;
    const now = this.#now();
    const wasActive = device.lastInputAt !== null && now - device.lastInputAt < ACTIVE_WITHIN_MS;
    device.lastInputAt = now - beat.idleMs;
    device.focused = beat.focused;
    device.visible = beat.visible;
    const isActive = now - device.lastInputAt < ACTIVE_WITHIN_MS;
    this.emit('deviceUpdated', accountId, deviceId);
    if (isActive !== wasActive) this.emit('changed', accountId);
    return !wasActive && isActive;
  }

  update(
    accountId: number,
    deviceId: string,
    change: { label?: string; ringPreference?: RingPreference },
  ): void {
    const device = this.#accounts.get(accountId)?.get(deviceId);
    if (device) {
      Object.assign(device, stripUndefined(change));
      this.emit('deviceUpdated', accountId, deviceId);
    }
    this.emit('changed', accountId);
  }

  answered(accountId: number, deviceId: string): void {
    const device = this.#accounts.get(accountId)?.get(deviceId);
    if (!device) return;
    device.lastAnsweredAt = this.#now();
    this.emit('deviceUpdated', accountId, deviceId);
  }

  disconnect(accountId: number, deviceId: string, socketId: string): void {
    const device = this.#accounts.get(accountId)?.get(deviceId);
    if (!device?.sockets.delete(socketId) || device.sockets.size > 0) return;
    this.emit('deviceLeft', accountId, deviceId);
    this.emit('deviceUpdated', accountId, deviceId);
    device.offlineTimer = setTimeout(() => {
      device.offlineTimer = undefined;
      this.emit('changed', accountId);
    }, OFFLINE_GRACE_MS);
    device.offlineTimer.unref();
  }

  /**
   * Activity of every known device, for ranking and the device list;
   * `elsewhere` are the account's devices connected to any node (the device
   * directory): one connected to another node only is as that node publishes it.
   */
  activities(
    accountId: number,
    stored: StoredDevice[],
    elsewhere: DeviceActivity[] = [],
  ): DeviceActivity[] {
    const live = this.#accounts.get(accountId);
    const remote = new Map(elsewhere.map((a) => [a.deviceId, a]));
    return stored.map((device) => {
      const current = live?.get(device.deviceId);
      const there = remote.get(device.deviceId);
      if (there && !current?.sockets.size) return there;
      return {
        deviceId: device.deviceId,
        label: current?.label ?? device.label,
        online: (current?.sockets.size ?? 0) > 0,
        ringPreference: current?.ringPreference ?? device.ringPreference,
        lastInputAt: current?.lastInputAt ?? device.lastInputAt?.getTime() ?? null,
        focused: current?.focused ?? false,
        visible: current?.visible ?? false,
        lastAnsweredAt: current?.lastAnsweredAt ?? device.lastAnsweredAt?.getTime() ?? null,
      };
    });
  }

  /** Activity of the devices connected now, from memory (for ringing: no store read). */
  connectedActivities(accountId: number): DeviceActivity[] {
    const live = this.#accounts.get(accountId);
    if (!live) return [];
    return [...live.values()].flatMap((device) => connectedActivityOf(device) ?? []);
  }

  /** One device's activity, if it is connected here. */
  connectedActivity(accountId: number, deviceId: string): DeviceActivity | undefined {
    const device = this.#accounts.get(accountId)?.get(deviceId);
    return device && connectedActivityOf(device);
  }

  /** Every connected device, by account (to publish them again after Redis lost them). */
  *allConnected(): Generator<[accountId: number, deviceId: string]> {
    for (const [accountId, devices] of this.#accounts) {
      for (const device of devices.values()) {
        if (device.sockets.size > 0) yield [accountId, device.deviceId];
      }
    }
  }

  /**
   * The desk app's device list; with `elsewhere` (the device directory), the
   * same whichever node computes it.
   */
  /** The devices as the desk lists them (whether each rings by notification is not presence's). */
  view(
    accountId: number,
    stored: StoredDevice[],
    elsewhere: DeviceActivity[] = [],
  ): Omit<DeviceView, 'notificationRings'>[] {
    const now = this.#now();
    const live = this.#accounts.get(accountId);
    const elsewhereIds = new Set(elsewhere.map((a) => a.deviceId));
    const online = (id: string) => {
      const device = live?.get(id);
      return Boolean(
        elsewhereIds.has(id) || (device && (device.sockets.size > 0 || device.offlineTimer)),
      );
    };
    const activities = this.activities(accountId, stored, elsewhere);
    const active = new Set(
      activities
        .filter(
          (a) =>
            online(a.deviceId) && a.lastInputAt !== null && now - a.lastInputAt < ACTIVE_WITHIN_MS,
        )
        .map((a) => a.deviceId),
    );
    return activities.map((a) => {
      let state: DeviceState = 'offline';
      if (online(a.deviceId))
        state = active.has(a.deviceId) ? 'active' : active.size > 0 ? 'sleeping' : 'idle';
      const device = stored.find((d) => d.deviceId === a.deviceId);
      return {
        deviceId: a.deviceId,
        label: a.label,
        platform: device?.platform ?? '',
        state,
        ringPreference: a.ringPreference,
        lastInputAt: a.lastInputAt === null ? null : new Date(a.lastInputAt).toISOString(),
      };
    });
  }

  close(): void {
    for (const devices of this.#accounts.values()) {
      for (const device of devices.values()) clearTimeout(device.offlineTimer);
    }
  }

  #devicesOf(accountId: number): Map<string, LiveDevice> {
    let devices = this.#accounts.get(accountId);
    if (!devices) {
      devices = new Map();
      this.#accounts.set(accountId, devices);
    }
    return devices;
  }
}

function connectedActivityOf(device: LiveDevice): DeviceActivity | undefined {
  if (device.sockets.size === 0) return undefined;
  return {
    deviceId: device.deviceId,
    label: device.label,
    online: true,
    ringPreference: device.ringPreference,
    lastInputAt: device.lastInputAt,
    focused: device.focused,
    visible: device.visible,
    lastAnsweredAt: device.lastAnsweredAt,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
