// Web Push subscriptions, one per device of a sender (issue 18). A browser
// rotates its subscription now and then: the device stores the new one over
// the old. The push service names a subscription that is gone by its
// endpoint (404/410), so it is removed by endpoint.
import type { Kysely, Selectable } from 'kysely';
import type { PushSubscriptionBody } from '../../protocol/push.js';
import type { Database, PushSubscriptionTable } from './schema.js';

export interface StoredPushSubscription extends PushSubscriptionBody {
  accountId: number;
  deviceId: string;
  createdAt: Date;
  updatedAt: Date;
}

export class PushSubscriptionStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores the device's subscription, replacing the one it had. A browser
   * holds one subscription per app, so an endpoint belongs to one device: the
   * device that stores it last (another account logged in on that browser,
   * say) takes it from any other.
   */
  async put(
    accountId: number,
    deviceId: string,
    subscription: PushSubscriptionBody,
  ): Promise<void> {
    const now = new Date().toISOString();
    const { endpoint, keys } = subscription;
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('push_subscriptions')
        .where('endpoint', '=', endpoint)
        .where((eb) => eb.or([eb('account_id', '!=', accountId), eb('device_id', '!=', deviceId)]))
        .execute();
      await trx
        .insertInto('push_subscriptions')
        .values({
          account_id: accountId,
          device_id: deviceId,
          endpoint,
          p256dh: keys.p256dh,
          auth: keys.auth,
          created_at: now,
          updated_at: now,
        })
        .onConflict((conflict) =>
          conflict
            .columns(['account_id', 'device_id'])
            .doUpdateSet({ endpoint, p256dh: keys.p256dh, auth: keys.auth, updated_at: now }),
        )
        .execute();
    });
  }

  /** Removes the device's subscription; whether it had one. */
  async remove(accountId: number, deviceId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('push_subscriptions')
      .where('account_id', '=', accountId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Removes the subscription(s) with this endpoint (the push service says it is gone). */
  async removeByEndpoint(endpoint: string): Promise<number> {
    const result = await this.#db
      .deleteFrom('push_subscriptions')
      .where('endpoint', '=', endpoint)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The ids of the account's devices that have a subscription. */
  async devicesWithSubscription(accountId: number): Promise<Set<string>> {
    const rows = await this.#db
      .selectFrom('push_subscriptions')
      .select('device_id')
      .where('account_id', '=', accountId)
      .execute();
    return new Set(rows.map((row) => row.device_id));
  }

  /** The account's subscriptions: all of them, or those of `deviceIds`. */
  async list(accountId: number, deviceIds?: readonly string[]): Promise<StoredPushSubscription[]> {
    if (deviceIds?.length === 0) return [];
    let query = this.#db
      .selectFrom('push_subscriptions')
      .selectAll()
      .where('account_id', '=', accountId);
    if (deviceIds) query = query.where('device_id', 'in', deviceIds);
    const rows = await query.orderBy('device_id').execute();
    return rows.map(toSubscription);
  }
}

function toSubscription(row: Selectable<PushSubscriptionTable>): StoredPushSubscription {
  return {
    accountId: row.account_id,
    deviceId: row.device_id,
    endpoint: row.endpoint,
    keys: { p256dh: row.p256dh, auth: row.auth },
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
