// One contract, two stores: the same tests run on SQLite and on PostgreSQL, the
// way the server opens each (migrations included).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore, EmailTakenError } from '../../server/store/account-store.js';
import { migrateToLatest, openDatabase, storeLocation } from '../../server/store/database.js';
import type { Database } from '../../server/store/schema.js';
import { startPostgres, type Postgres } from '../support/postgres.js';

let postgres: Postgres | undefined;
const sqliteDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-sqlite-'));

beforeAll(async () => {
  postgres = await startPostgres();
});

afterAll(() => {
  postgres?.stop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

const backends = {
  sqlite: () => Promise.resolve(storeLocation(mkdtempSync(path.join(sqliteDir, 'db-')), undefined)),
  postgres: async () => {
    if (!postgres) throw new Error('PostgreSQL did not start');
    return storeLocation('unused', await postgres.newDatabase());
  },
};

describe.each(Object.entries(backends))('store contract on %s', (kind, location) => {
  let db: Kysely<Database>;
  let accounts: AccountStore;

  beforeEach(async () => {
    const where = await location();
    expect(where.kind).toBe(kind);
    db = openDatabase(where);
    await migrateToLatest(db);
    accounts = new AccountStore(db);
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('runs the migrations once and is idempotent on restart', async () => {
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('creates an account and finds it by email, case-insensitively, and by id', async () => {
    const created = await accounts.create({
      email: ' Ada@Example.org ',
      displayName: 'Ada Lovelace',
      passwordHash: 'scrypt$hash',
    });
    expect(created).toMatchObject({ email: 'ada@example.org', displayName: 'Ada Lovelace' });
    expect(created.id).toBeGreaterThan(0);
    expect(created.createdAt.getTime()).toBeLessThanOrEqual(Date.now());

    expect(await accounts.findByEmail('ADA@example.org')).toEqual(created);
    expect(await accounts.findById(created.id)).toEqual(created);
  });

  it('gives distinct ids to distinct accounts', async () => {
    const a = await accounts.create({
      email: 'a@example.org',
      displayName: 'A',
      passwordHash: 'x',
    });
    const b = await accounts.create({
      email: 'b@example.org',
      displayName: 'B',
      passwordHash: 'x',
    });
    expect(a.id).not.toBe(b.id);
  });

  it('refuses a second account with the same email and keeps the first', async () => {
    await accounts.create({ email: 'grace@example.org', displayName: 'Grace', passwordHash: 'x' });
    await expect(
      accounts.create({ email: 'GRACE@example.org', displayName: 'Impostor', passwordHash: 'y' }),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect((await accounts.findByEmail('grace@example.org'))?.displayName).toBe('Grace');
  });

  it('answers undefined for accounts that do not exist', async () => {
    expect(await accounts.findByEmail('nobody@example.org')).toBeUndefined();
    expect(await accounts.findById(999_999)).toBeUndefined();
  });
});
