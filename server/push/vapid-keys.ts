// The server's VAPID key pair (RFC 8292): browsers subscribe with its public
// key, and every push is signed with its private key, so it must outlive
// restarts (a new pair would orphan every subscription). From configuration
// (VAPID_PUBLIC_KEY + VAPID_PRIVATE_KEY), else generated once by web-push and
// kept in DATA_DIR/vapid.json, readable by the server's user only.
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import webpush from 'web-push';
import { z } from 'zod';
import { keysMatch, type VapidKeys } from './push-config.js';

export const VAPID_FILE = 'vapid.json';

const storedKeysSchema = z.object({ publicKey: z.string(), privateKey: z.string() });

export function loadVapidKeys(dataDir: string, fromConfig: VapidKeys | undefined): VapidKeys {
  if (fromConfig) return fromConfig;
  const file = path.join(dataDir, VAPID_FILE);
  if (!existsSync(file)) createOnce(file);
  const keys = readKeys(file);
  if (!keys) throw new Error(`${file} does not hold a VAPID key pair (publicKey, privateKey)`);
  return keys;
}

function readKeys(file: string): VapidKeys | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  const parsed = storedKeysSchema.safeParse(json);
  if (!parsed.success || !keysMatch(parsed.data.publicKey, parsed.data.privateKey))
    return undefined;
  return parsed.data;
}

/**
 * Writes a new pair to a file of its own (mode 0600, fsynced), then links it
 * to `file`: the name appears whole or not at all, and a pair another process
 * (or node) linked first is kept, never overwritten.
 */
function createOnce(file: string): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const keys = webpush.generateVAPIDKeys();
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(keys, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  const folder = openSync(dir, 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}
