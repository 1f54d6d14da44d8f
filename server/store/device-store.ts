// The durable side of a sender's devices: label, ring preference, and when
// each was last used and last answered (live presence is kept in memory).
import type { Kysely, Selectable } from 'kysely';
import type { RingPreference } from '../../protocol/presence.js';
import type { Database, DeviceTable } from './schema.js';

export interface StoredDevice {
  deviceId: string;
  label: string;
  platform: string;
  ringPreference: RingPreference;
  lastInputAt: Date | null;
  lastAnsweredAt: Date | null;
}

export class DeviceStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async list(accountId: number): Promise<StoredDevice[]> {
    const rows = await this.#db
      .selectFrom('devices')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('label')
      .execute();
    return rows.map(toDevice);
  }

  /** Registers a device, or updates its label and platform; returns it. */
  async upsert(
    accountId: number,
    device: { deviceId: string; label: string; platform: string },
  ): Promise<StoredDevice> {
    await this.#db
      .insertInto('devices')
      .values({
        account_id: accountId,
        device_id: device.deviceId,
        label: device.label,
        platform: device.platform,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['account_id', 'device_id'])
          .doUpdateSet({ label: device.label, platform: device.platform }),
      )
      .execute();
    const stored = await this.find(accountId, device.deviceId);
    if (!stored) throw new Error('device vanished after upsert');
    return stored;
  }

  async find(accountId: number, deviceId: string): Promise<StoredDevice | undefined> {
    const row = await this.#db
      .selectFrom('devices')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return row && toDevice(row);
  }

  /** Forgets the device, and with it its push subscription; whether it was known. */
  async remove(accountId: number, deviceId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('devices')
      .where('account_id', '=', accountId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async update(
    accountId: number,
    deviceId: string,
    change: {
      label?: string;
      ringPreference?: RingPreference;
      lastInputAt?: Date;
      lastAnsweredAt?: Date;
    },
  ): Promise<void> {
    const values = {
      ...(change.label === undefined ? {} : { label: change.label }),
      ...(change.ringPreference === undefined ? {} : { ring_preference: change.ringPreference }),
      ...(change.lastInputAt === undefined
        ? {}
        : { last_input_at: change.lastInputAt.toISOString() }),
      ...(change.lastAnsweredAt === undefined
        ? {}
        : { last_answered_at: change.lastAnsweredAt.toISOString() }),
    };
    if (Object.keys(values).length === 0) return;
    await this.#db
      .updateTable('devices')
      .set(values)
      .where('account_id', '=', accountId)
      .where('device_id', '=', deviceId)
      .execute();
  }
}

function toDevice(row: Selectable<DeviceTable>): StoredDevice {
  return {
    deviceId: row.device_id,
    label: row.label,
    platform: row.platform,
    ringPreference: row.ring_preference as RingPreference,
    lastInputAt: row.last_input_at ? new Date(row.last_input_at) : null,
    lastAnsweredAt: row.last_answered_at ? new Date(row.last_answered_at) : null,
  };
}
