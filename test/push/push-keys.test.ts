// The server's VAPID key pair, as the desk gets it (GET /api/push/key, for
// PushManager.subscribe): generated at first start and kept under DATA_DIR
// (a new pair would orphan every subscription), or given by configuration.
import { spawnSync } from 'node:child_process';
import { createECDH } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import type { PushKey } from '../../protocol/push.js';
import { loadConfig } from '../../server/config.js';
import { projectRoot } from '../support/project.js';
import { signUp } from '../support/sender.js';
import { startServer } from '../support/server-process.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-push-keys-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

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
  it('are made at first start, kept private under DATA_DIR, and the same after a restart', async () => {
    const first = await startServer({ DATA_DIR: dataDir });
    let key: string;
    try {
      key = await publicKeyOf(first.url);
    } finally {
      await first.stop();
    }
    expectP256PublicKey(key);
    expect(statSync(path.join(dataDir, 'vapid.json')).mode & 0o777).toBe(0o600);

    const second = await startServer({ DATA_DIR: dataDir });
    try {
      expect(await publicKeyOf(second.url)).toBe(key);
    } finally {
      await second.stop();
    }
  });

  it('come from VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY when set', async () => {
    const keys = webpush.generateVAPIDKeys();
    const server = await startServer({
      VAPID_PUBLIC_KEY: keys.publicKey,
      VAPID_PRIVATE_KEY: keys.privateKey,
    });
    try {
      expect(await publicKeyOf(server.url)).toBe(keys.publicKey);
    } finally {
      await server.stop();
    }
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
