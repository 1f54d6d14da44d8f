// The two stores a contract test runs against: SQLite (a new file each time)
// and PostgreSQL (a new database each time, on a server this file starts
// for the test file and stops after it).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { storeLocation, type StoreLocation } from '../../server/store/database.js';
import { startPostgres, type Postgres } from './postgres.js';

/** Call at a test file's top level; `describe.each(Object.entries(storeBackends()))`. */
export function storeBackends(): Record<'sqlite' | 'postgres', () => Promise<StoreLocation>> {
  let postgres: Postgres | undefined;
  const sqliteDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-sqlite-'));
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(() => {
    postgres?.stop();
    rmSync(sqliteDir, { recursive: true, force: true });
  });
  return {
    sqlite: () =>
      Promise.resolve(storeLocation(mkdtempSync(path.join(sqliteDir, 'db-')), undefined)),
    postgres: async () => {
      if (!postgres) throw new Error('PostgreSQL did not start');
      return storeLocation('unused', await postgres.newDatabase());
    },
  };
}
