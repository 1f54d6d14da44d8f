// One VAPID key pair for every node of a deployment (issue 18): a device
// subscribes with the public key one node gives it, and the push service
// refuses pushes signed with any other key, so nodes with their own DATA_DIR
// must still sign with the same pair. It is recorded once in the database the
// nodes share (first writer wins); a node that cannot use it refuses to start.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { REQUEST_HEADER } from '../../protocol/http.js';
import type { PushKey } from '../../protocol/push.js';
import { createLogger } from '../../server/logger.js';
import { OFFLINE_GRACE_MS } from '../../server/presence/presence.js';
import { keysMatch } from '../../server/push/push-config.js';
import { loadVapidKeys } from '../../server/push/vapid-keys.js';
import { SealedBox } from '../../server/security/sealed-box.js';
import { migrateToLatest, openDatabase, storeLocation } from '../../server/store/database.js';
import { startNodes, type Nodes } from '../support/nodes.js';
import { startPostgres, type Postgres } from '../support/postgres.js';
import { startPushService, type PushService } from '../support/push-service.js';
import {
  connectCaller,
  connectDevice,
  createLink,
  ok,
  signUp,
  sleep,
  startCall,
  type Sender,
} from '../support/sender.js';
import type { RunningServer } from '../support/server-process.js';

/** What GET /api/push/key answers on `node` (the sender's session is valid on every node). */
async function publicKeyOn(node: RunningServer, sender: Sender): Promise<string> {
  const response = await fetch(`${node.url}/api/push/key`, {
    headers: { cookie: sender.cookie, [REQUEST_HEADER]: '1' },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as PushKey).publicKey;
}

async function acceptedPushes(node: RunningServer): Promise<number> {
  const metrics = await (await fetch(`${node.url}/metrics`)).text();
  return Number(/^voxreply_push_sent_total\{result="accepted"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
}

describe('nodes sharing PostgreSQL and Redis, each with its own DATA_DIR', () => {
  let service: PushService;
  let cluster: Nodes;

  beforeAll(async () => {
    service = await startPushService();
    cluster = await startNodes(2, {
      NODE_EXTRA_CA_CERTS: service.caFile,
      PUSH_SERVICE_HOSTS: new URL(service.origin).host,
      // A call runs on the node its page reached: each node sends the pushes of its calls.
      MEDIA_PLACEMENT: 'local',
    });
  });

  afterAll(async () => {
    await cluster.stop();
    await service.close();
  });

  it('give the same key, and a push from either node is accepted for a subscription made with it', async () => {
    const [nodeA, nodeB] = cluster.nodes as [RunningServer, RunningServer];
    const sender = await signUp(nodeA.url);
    const key = await publicKeyOn(nodeA, sender);
    expect(await publicKeyOn(nodeB, sender)).toBe(key);

    // A desk that said hello on A and closed; it subscribes through B.
    const desk = await connectDevice(nodeA.url, sender, 'Laptop');
    await desk.beat(1000, true);
    desk.socket.disconnect();
    await sleep(OFFLINE_GRACE_MS + 500);
    // The push service refuses pushes signed with another key than this one.
    const subscription = service.newSubscription(key);
    const stored = await fetch(`${nodeB.url}/api/devices/${desk.deviceId}/push`, {
      method: 'PUT',
      headers: { cookie: sender.cookie, [REQUEST_HEADER]: '1', 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: subscription.endpoint, keys: subscription.keys }),
    });
    expect(stored.status, await stored.text()).toBe(204);
    const link = await createLink(sender);

    let pushes = 0;
    for (const node of [nodeA, nodeB]) {
      const before = await acceptedPushes(node);
      const caller = await connectCaller(node.url);
      const call = await startCall(caller, link.token);
      pushes += 1;
      const [rang] = (await service.waitForMessages(subscription.id, pushes)).slice(-1);
      expect(rang?.payload).toMatchObject({ type: 'ring', callId: call.callId });
      expect(rang?.vapid.publicKey).toBe(key);
      ok(await caller.socket.emitWithAck('call:hangup', { callId: call.callId }));
      pushes += 1;
      await service.waitForMessages(subscription.id, pushes);
      caller.socket.disconnect();
      // This node sent them (its call ran here).
      expect(await acceptedPushes(node)).toBeGreaterThanOrEqual(before + 2);
    }
    expect(service.problems()).toEqual([]);
    expect(service.attempts(subscription.id).map((attempt) => attempt.status)).toEqual(
      Array<number>(pushes).fill(201),
    );

    // A node started later reads the same pair.
    const nodeC = await cluster.add();
    expect(await publicKeyOn(nodeC, sender)).toBe(key);
  });

  it('refuse to start a node configured with another pair, naming the variables', async () => {
    const other = webpush.generateVAPIDKeys();
    const starting = cluster.add({
      VAPID_PUBLIC_KEY: other.publicKey,
      VAPID_PRIVATE_KEY: other.privateKey,
    });
    await expect(starting).rejects.toThrow(
      /VAPID_PUBLIC_KEY is not the key this deployment's devices subscribed with \([\w-]+, recorded in the database's vapid_keys\): set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY to that pair on every node/,
    );
    await expect(starting).rejects.not.toThrow(other.privateKey);
  });

  it('refuse to start a node whose server key cannot open the recorded pair', async () => {
    await expect(cluster.add({ SECRET_KEY: randomBytes(32).toString('base64') })).rejects.toThrow(
      /cannot be opened with this node's server key: every node needs the same SECRET_KEY/,
    );
  });
});

describe('the recorded pair, on PostgreSQL', () => {
  let postgres: Postgres;
  const dirs = mkdtempSync(path.join(os.tmpdir(), 'voxreply-vapid-keys-'));
  const logger = createLogger('silent');

  beforeAll(async () => {
    postgres = await startPostgres();
  });

  afterAll(() => {
    postgres.stop();
    rmSync(dirs, { recursive: true, force: true });
  });

  /** A new, migrated database, and `others` more connections to it. */
  async function database(others = 0) {
    const location = storeLocation('unused', await postgres.newDatabase());
    const db = openDatabase(location);
    await migrateToLatest(db);
    return { db, others: Array.from({ length: others }, () => openDatabase(location)) };
  }

  it('is written once: nodes starting at once all read back the first', async () => {
    const { db, others } = await database(3);
    const dbs = [db, ...others];
    const box = new SealedBox(randomBytes(32));
    try {
      const pairs = await Promise.all(
        dbs.map((db) =>
          loadVapidKeys({
            db,
            box,
            dataDir: mkdtempSync(path.join(dirs, 'node-')),
            configured: undefined,
            logger,
          }),
        ),
      );
      expect(new Set(pairs.map((pair) => pair.publicKey)).size).toBe(1);
      expect(new Set(pairs.map((pair) => pair.privateKey)).size).toBe(1);
      const [pair] = pairs;
      expect(keysMatch(pair?.publicKey ?? '', pair?.privateKey ?? '')).toBe(true);
      // The private key is stored sealed, never as it is.
      const [row] = await db.selectFrom('vapid_keys').selectAll().execute();
      expect(row?.public_key).toBe(pair?.publicKey);
      expect(row?.private_key).not.toContain(pair?.privateKey);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  });

  it('made by configuration, keeps its private key out and is required of every node', async () => {
    const { db } = await database();
    const box = new SealedBox(randomBytes(32));
    const configured = webpush.generateVAPIDKeys();
    const load = (given: typeof configured | undefined) =>
      loadVapidKeys({ db, box, dataDir: dirs, configured: given, logger });
    try {
      expect(await load(configured)).toEqual(configured);
      const [row] = await db.selectFrom('vapid_keys').selectAll().execute();
      expect(row).toMatchObject({ public_key: configured.publicKey, private_key: null });
      await expect(load(undefined)).rejects.toThrow(
        `the other nodes sign pushes with a configured VAPID key pair (public key ${configured.publicKey}): set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY to it on this node too`,
      );
      await expect(load(webpush.generateVAPIDKeys())).rejects.toThrow(
        /^VAPID_PUBLIC_KEY is not the key this deployment's devices subscribed with/,
      );
      expect(await load(configured)).toEqual(configured);
    } finally {
      await db.destroy();
    }
  });
});
