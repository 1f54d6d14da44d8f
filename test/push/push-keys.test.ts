// The server's VAPID key pair, as the desk gets it (GET /api/push/key, for
// PushManager.subscribe): generated at first start and kept in the database
// (a new pair would orphan every subscription; every node reads the same one:
// test/push/vapid-keys-shared.test.ts), or given by configuration.
import { spawnSync } from 'node:child_process';
import { createECDH } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import type { PushKey } from '../../protocol/push.js';
import { loadConfig } from '../../server/config.js';
import { openDatabase, storeLocation } from '../../server/store/database.js';
import { projectRoot } from '../support/project.js';
import { signUp } from '../support/sender.js';
import { startServer } from '../support/server-process.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-push-keys-'));
const otherDirs: string[] = [];

afterAll(() => {
  for (const dir of [dataDir, ...otherDirs]) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-push-keys-'));
  otherDirs.push(dir);
  return dir;
}

/** The pair recorded in the SQLite database under `dir` (the server stopped). */
async function recordedPair(dir: string) {
  const db = openDatabase(storeLocation(dir, undefined));
  try {
    return await db.selectFrom('vapid_keys').select(['public_key', 'private_key']).execute();
  } finally {
    await db.destroy();
  }
}

async function publicKeyOf(url: string): Promise<string> {
  const sender = await signUp(url);
  const response = await sender.api('GET', '/api/push/key');
  expect(response.status).toBe(200);
  return ((await response.json()) as PushKey).publicKey;
}

/** Throws unless `key` is a P-256 point (what a browser's applicationServerKey must be). */
function expectP256PublicKey(key: string): void {
  expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
  const raw = Buffer.from(key, 'base64url');
  expect(raw).toHaveLength(65);
  expect(raw[0]).toBe(4);
  // Key agreement with it fails unless the point is on the curve.
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  expect(() => ecdh.computeSecret(raw)).not.toThrow();
}

describe('VAPID keys', () => {
  it('are made at first start, kept in the database (the private key sealed), and the same after a restart', async () => {
    const first = await startServer({ DATA_DIR: dataDir });
    let key: string;
    try {
      key = await publicKeyOf(first.url);
    } finally {
      await first.stop();
    }
    expectP256PublicKey(key);
    const [recorded, ...more] = await recordedPair(dataDir);
    expect(more).toEqual([]);
    expect(recorded?.public_key).toBe(key);
    // Sealed with the server key (iv.tag.body), not the 32-byte key as it is.
    expect(recorded?.private_key).toMatch(/^[\w-]{16}\.[\w-]{22}\.[\w-]{58}$/);
    expect(existsSync(path.join(dataDir, 'vapid.json'))).toBe(false);

    const second = await startServer({ DATA_DIR: dataDir });
    try {
      expect(await publicKeyOf(second.url)).toBe(key);
    } finally {
      await second.stop();
    }
  });

  it('keep the pair a server kept in DATA_DIR/vapid.json before (its devices’ subscriptions stay good)', async () => {
    const dir = newDataDir();
    const kept = webpush.generateVAPIDKeys();
    writeFileSync(path.join(dir, 'vapid.json'), JSON.stringify(kept), { mode: 0o600 });
    const server = await startServer({ DATA_DIR: dir });
    try {
      expect(await publicKeyOf(server.url)).toBe(kept.publicKey);
    } finally {
      await server.stop();
    }
    expect((await recordedPair(dir))[0]?.public_key).toBe(kept.publicKey);
  });

  it('come from VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY when set (the private key stays out of the database)', async () => {
    const dir = newDataDir();
    const keys = webpush.generateVAPIDKeys();
    const configured = {
      DATA_DIR: dir,
      VAPID_PUBLIC_KEY: keys.publicKey,
      VAPID_PRIVATE_KEY: keys.privateKey,
    };
    const server = await startServer(configured);
    try {
      expect(await publicKeyOf(server.url)).toBe(keys.publicKey);
    } finally {
      await server.stop();
    }
    expect(await recordedPair(dir)).toEqual([{ public_key: keys.publicKey, private_key: null }]);

    // Another pair later would orphan every device's subscription: refused, saying what to do.
    const other = webpush.generateVAPIDKeys();
    const refusal = startServer({
      ...configured,
      VAPID_PUBLIC_KEY: other.publicKey,
      VAPID_PRIVATE_KEY: other.privateKey,
    });
    await expect(refusal).rejects.toThrow(
      `VAPID_PUBLIC_KEY is not the key this deployment's devices subscribed with (${keys.publicKey}, recorded in the database's vapid_keys)`,
    );
    await expect(refusal).rejects.not.toThrow(other.privateKey);
    // Unset, the node cannot sign with the configured pair: refused, naming the variables.
    await expect(startServer({ DATA_DIR: dir })).rejects.toThrow(
      'set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY to it on this node too',
    );
  });
});

describe('VAPID configuration', () => {
  const problemsOf = (env: Record<string, string>): string => {
    const result = spawnSync(process.execPath, [path.join(projectRoot, 'dist/server/main.js')], {
      env: { PATH: process.env.PATH, DATA_DIR: '/nonexistent', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    return result.stderr;
  };
  const keys = webpush.generateVAPIDKeys();
  const other = webpush.generateVAPIDKeys();

  it('stops the server naming the variable: one key of the pair, a mismatched pair, a bad subject', () => {
    expect(problemsOf({ VAPID_PUBLIC_KEY: keys.publicKey })).toContain(
      'VAPID_PRIVATE_KEY must be set together with VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY',
    );
    const mismatched = problemsOf({
      VAPID_PUBLIC_KEY: keys.publicKey,
      VAPID_PRIVATE_KEY: other.privateKey,
    });
    expect(mismatched).toContain('VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY');
    expect(mismatched).not.toContain(other.privateKey);
    expect(problemsOf({ VAPID_PRIVATE_KEY: 'c2hvcnQ' })).toContain('VAPID_PRIVATE_KEY must be');
    expect(problemsOf({ VAPID_SUBJECT: 'http://voxreply.example' })).toContain(
      'VAPID_SUBJECT must be a mailto: address or an https: URL',
    );
  });

  it('names postmaster at PUBLIC_URL’s host as the subject unless VAPID_SUBJECT says', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://voice.example.org/' }, '/srv')).toMatchObject({
      vapidSubject: 'mailto:postmaster@voice.example.org',
      vapidKeys: undefined,
    });
    expect(
      loadConfig({ VAPID_SUBJECT: 'https://voice.example.org/contact' }, '/srv').vapidSubject,
    ).toBe('https://voice.example.org/contact');
  });
});
