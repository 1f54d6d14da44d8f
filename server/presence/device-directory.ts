// The sender's connected devices as the ring plan sees them: on one node,
// this node's Presence; on several, every node's (server/cluster/
// redis-device-directory.ts). Both pass test/calls/live-state.contract.test.ts.
import { EventEmitter } from 'node:events';
import type { SenderStatus } from '../../protocol/accounts.js';
import type { Presence } from './presence.js';
import type { DeviceActivity } from './ranking.js';

export interface DeviceDirectoryEvents {
  /** A device has no socket left (on the node that says so). */
  deviceLeft: [accountId: number, deviceId: string];
  /** A device got its first socket on some node. */
  deviceJoined: [accountId: number, deviceId: string];
}

export interface DeviceDirectory extends EventEmitter<DeviceDirectoryEvents> {
  /** The account's devices connected now, wherever they are connected. */
  connectedActivities(accountId: number): Promise<DeviceActivity[]>;
  close(): void;
}

/** One node: its own Presence is the whole truth. */
export class LocalDeviceDirectory
  extends EventEmitter<DeviceDirectoryEvents>
  implements DeviceDirectory
{
  readonly #presence: Presence;

  constructor(presence: Presence) {
    super();
    this.#presence = presence;
    presence.on('deviceLeft', (accountId, deviceId) =>
      this.emit('deviceLeft', accountId, deviceId),
    );
    presence.on('deviceJoined', (accountId, deviceId) =>
      this.emit('deviceJoined', accountId, deviceId),
    );
  }

  connectedActivities(accountId: number): Promise<DeviceActivity[]> {
    return Promise.resolve(this.#presence.connectedActivities(accountId));
  }

  close(): void {}
}

/** What a reply page shows of the sender: from the devices connected now. */
export function senderStatusOf(
  connected: DeviceActivity[],
  settings: { doNotDisturb: boolean; awayAfterMinutes: number },
  busy: boolean,
  now = Date.now(),
): SenderStatus {
  if (busy) return 'busy';
  if (settings.doNotDisturb) return 'do_not_disturb';
  if (connected.length === 0) return 'offline';
  const lastInput = Math.max(...connected.map((a) => a.lastInputAt ?? 0));
  return now - lastInput > settings.awayAfterMinutes * 60_000 ? 'away' : 'available';
}
