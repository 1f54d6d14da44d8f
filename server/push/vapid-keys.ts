// The server's VAPID key pair (RFC 8292): browsers subscribe with its public
// key, and every push is signed with its private key, so it must outlive
// restarts (a new pair would orphan every subscription) and be the same on
// every node (a push service refuses a push signed with another key than the
// one its subscription was made with). One pair per deployment, kept in the
// database all nodes share (vapid_keys, migration 013):
//
// - Configured (VAPID_PUBLIC_KEY + VAPID_PRIVATE_KEY): used as given; its
//   public key is recorded, its private key is not. A configured pair other
//   than the recorded one refuses to start.
// - Not configured: the first node to start records a pair (DATA_DIR/vapid.json
//   from before, so its subscriptions keep working, else a new one; the
//   private key sealed with the server key) and every node reads back the one
//   recorded first. A node whose recorded pair is configured elsewhere, or
//   whose server key cannot open it, refuses to start, saying what to set.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import webpush from 'web-push';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { SealedBox } from '../security/sealed-box.js';
import type { Database } from '../store/schema.js';
import { keysMatch, type VapidKeys } from './push-config.js';

/** Where a node kept its own pair before the pair moved to the database. */
export const VAPID_FILE = 'vapid.json';

const storedKeysSchema = z.object({ publicKey: z.string(), privateKey: z.string() });

export interface VapidKeySources {
  db: Kysely<Database>;
  /** Seals the recorded private key (the server key: SECRET_KEY, shared by every node). */
  box: SealedBox;
  dataDir: string;
  /** VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, if set. */
  configured: VapidKeys | undefined;
  logger: Logger;
}

/** The deployment's pair; throws (with what to set) when this node cannot use it. */
export async function loadVapidKeys(sources: VapidKeySources): Promise<VapidKeys> {
  const { db, box, configured } = sources;
  const file = path.join(sources.dataDir, VAPID_FILE);
  const fromFile = configured ? undefined : readKeys(file, sources.logger);
  const candidate = configured ?? fromFile ?? webpush.generateVAPIDKeys();
  // First writer wins: nodes starting at once all read back the same row.
  await db
    .insertInto('vapid_keys')
    .values({
      id: 1,
      public_key: candidate.publicKey,
      private_key: configured ? null : box.seal(candidate.privateKey),
      created_at: new Date().toISOString(),
    })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  const recorded = await db
    .selectFrom('vapid_keys')
    .select(['public_key', 'private_key'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();

  if (configured) {
    if (recorded.public_key === configured.publicKey) return configured;
    throw new Error(
      `VAPID_PUBLIC_KEY is not the key this deployment's devices subscribed with (${recorded.public_key}, recorded in the database's vapid_keys): ` +
        'set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY to that pair on every node, or unset them on every node to use it. ' +
        'To move every device to the configured pair instead (each must turn notification rings on again), delete the row of vapid_keys first.',
    );
  }
  if (recorded.private_key === null) {
    throw new Error(
      `the other nodes sign pushes with a configured VAPID key pair (public key ${recorded.public_key}): ` +
        'set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY to it on this node too',
    );
  }
  let privateKey: string;
  try {
    privateKey = box.open(recorded.private_key);
  } catch {
    throw new Error(
      "the VAPID private key in the database's vapid_keys cannot be opened with this node's server key: " +
        'every node needs the same SECRET_KEY',
    );
  }
  if (!keysMatch(recorded.public_key, privateKey))
    throw new Error('vapid_keys in the database does not hold a matching VAPID key pair');
  if (fromFile && fromFile.publicKey !== recorded.public_key) {
    sources.logger.warn(
      { file, publicKey: recorded.public_key },
      'push: this node kept another VAPID key pair than the one the nodes share; their desks subscribe again with the shared key when they next open',
    );
  }
  return { publicKey: recorded.public_key, privateKey };
}

/** The pair in DATA_DIR/vapid.json, if there is one. */
function readKeys(file: string, logger: Logger): VapidKeys | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = storedKeysSchema.safeParse(json);
  if (parsed.success && keysMatch(parsed.data.publicKey, parsed.data.privateKey))
    return parsed.data;
  logger.warn({ file }, 'push: ignoring a file that does not hold a VAPID key pair');
  return undefined;
}
