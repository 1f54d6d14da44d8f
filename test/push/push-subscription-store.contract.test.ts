// The push subscription store's contract, on SQLite and on PostgreSQL, opened
// and migrated the way the server does it.
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../server/store/account-store.js';
import { migrateToLatest, openDatabase } from '../../server/store/database.js';
import { DeviceStore } from '../../server/store/device-store.js';
import { PushSubscriptionStore } from '../../server/store/push-subscription-store.js';
import type { Database } from '../../server/store/schema.js';
import { storeBackends } from '../support/store-backends.js';

const backends = storeBackends();

/** A subscription as a browser gives one (the keys' shapes; the store does not decode them). */
const subscription = (name: string) => ({
  endpoint: `https://push.example/send/${name}`,
  keys: { p256dh: `B${name.padEnd(86, 'x')}`, auth: name.padEnd(22, 'a') },
});

describe.each(Object.entries(backends))('push subscription store on %s', (kind, location) => {
  let db: Kysely<Database>;
  let store: PushSubscriptionStore;
  let ada: number;
  let bob: number;

  beforeEach(async () => {
    const where = await location();
    expect(where.kind).toBe(kind);
    db = openDatabase(where);
    await migrateToLatest(db);
    store = new PushSubscriptionStore(db);
    const accounts = new AccountStore(db);
    const devices = new DeviceStore(db);
    ada = (
      await accounts.register({ email: 'ada@example.org', displayName: 'Ada', passwordHash: 'x' })
    ).id;
    bob = (
      await accounts.register({ email: 'bob@example.org', displayName: 'Bob', passwordHash: 'x' })
    ).id;
    for (const deviceId of ['laptop', 'phone', 'tablet'])
      await devices.upsert(ada, { deviceId, label: deviceId, platform: '' });
    await devices.upsert(bob, { deviceId: 'laptop', label: 'laptop', platform: '' });
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('keeps one subscription per device, replaced when the browser rotates it', async () => {
    await store.put(ada, 'laptop', subscription('one'));
    await store.put(ada, 'phone', subscription('two'));
    const [before] = await store.list(ada, ['laptop']);
    await store.put(ada, 'laptop', subscription('three'));

    const listed = await store.list(ada);
    expect(listed.map((s) => [s.deviceId, s.endpoint, s.keys])).toEqual([
      ['laptop', subscription('three').endpoint, subscription('three').keys],
      ['phone', subscription('two').endpoint, subscription('two').keys],
    ]);
    expect(listed[0]?.createdAt).toEqual(before?.createdAt);
    expect(listed[0]?.updatedAt.getTime()).toBeGreaterThanOrEqual(before?.updatedAt.getTime() ?? 0);
    expect(await store.devicesWithSubscription(ada)).toEqual(new Set(['laptop', 'phone']));
    expect(await store.list(ada, ['phone', 'tablet'])).toHaveLength(1);
    expect(await store.list(ada, [])).toEqual([]);
  });

  it('keeps accounts apart', async () => {
    await store.put(ada, 'laptop', subscription('ada'));
    await store.put(bob, 'laptop', subscription('bob'));
    expect((await store.list(bob)).map((s) => s.endpoint)).toEqual([subscription('bob').endpoint]);
    expect(await store.remove(bob, 'laptop')).toBe(true);
    expect(await store.remove(bob, 'laptop')).toBe(false);
    expect(await store.devicesWithSubscription(ada)).toEqual(new Set(['laptop']));
  });

  it('gives an endpoint to the device that stored it last', async () => {
    await store.put(ada, 'laptop', subscription('shared'));
    await store.put(bob, 'laptop', subscription('shared'));
    expect(await store.list(ada)).toEqual([]);
    expect(await store.devicesWithSubscription(bob)).toEqual(new Set(['laptop']));
  });

  it('removes by endpoint (a push service said it is gone), and with its device', async () => {
    await store.put(ada, 'laptop', subscription('gone'));
    await store.put(ada, 'phone', subscription('kept'));
    await store.put(ada, 'tablet', subscription('tablet'));
    expect(await store.removeByEndpoint(subscription('gone').endpoint)).toBe(1);
    expect(await store.removeByEndpoint(subscription('gone').endpoint)).toBe(0);
    await db
      .deleteFrom('devices')
      .where('account_id', '=', ada)
      .where('device_id', '=', 'tablet')
      .execute();
    expect(await store.devicesWithSubscription(ada)).toEqual(new Set(['phone']));
  });

  it('stores subscriptions only for known devices', async () => {
    await expect(store.put(ada, 'unknown', subscription('x'))).rejects.toThrow();
  });
});
