// One contract, two implementations of the live state every node shares: the
// call directory (which node runs a call, who is busy) and the device
// directory (the sender's connected devices). In memory for one node, in
// Redis for several; the same tests run on both, with two "nodes" each
// (two Redis clients and node buses against one real redis-server).
import { once } from 'node:events';
import { createClient, type RedisClientType } from 'redis';
import type { CallSnapshot } from '../../protocol/cluster.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryCallDirectory,
  type CallDirectory,
  type DirectoryEntry,
} from '../../server/calls/call-directory.js';
import { NodeBus } from '../../server/cluster/node-bus.js';
import { RedisCallDirectory } from '../../server/cluster/redis-call-directory.js';
import { RedisDeviceDirectory } from '../../server/cluster/redis-device-directory.js';
import { createLogger } from '../../server/logger.js';
import {
  LocalDeviceDirectory,
  type DeviceDirectory,
} from '../../server/presence/device-directory.js';
import { Presence } from '../../server/presence/presence.js';
import type { StoredDevice } from '../../server/store/device-store.js';
import { startRedis, type Redis } from '../support/redis.js';

const logger = createLogger('silent');
let redis: Redis;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await redis.stop();
});

/** One node of the live state: its presence and both directories. */
interface Node {
  name: string;
  presence: Presence;
  calls: CallDirectory;
  devices: DeviceDirectory;
}

async function redisClient(): Promise<RedisClientType> {
  const client: RedisClientType = createClient({
    url: redis.url,
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) },
  });
  client.on('error', () => undefined);
  await client.connect();
  cleanups.push(() => client.destroy());
  return client;
}

async function redisNode(): Promise<Node & { bus: NodeBus; client: RedisClientType }> {
  const client = await redisClient();
  const bus = new NodeBus(client, await redisClient(), logger);
  await bus.start();
  const presence = new Presence();
  const calls = new RedisCallDirectory(client, bus.nodeId, logger);
  const devices = new RedisDeviceDirectory(presence, client, bus, logger);
  cleanups.push(() => {
    calls.stop();
    devices.close();
    bus.close();
    presence.close();
  });
  return { name: bus.nodeId, presence, calls, devices, bus, client };
}

const implementations = {
  memory: () => {
    // Two names over one memory: what a single process can tell apart.
    const shared = new Map<string, DirectoryEntry>();
    return Promise.resolve(
      ['one', 'two'].map((name): Node => {
        const presence = new Presence();
        cleanups.push(() => presence.close());
        return {
          name,
          presence,
          calls: new MemoryCallDirectory(name, shared),
          devices: new LocalDeviceDirectory(presence),
        };
      }),
    );
  },
  redis: () => Promise.all([redisNode(), redisNode()]),
};

const stored = (deviceId: string, label: string): StoredDevice => ({
  deviceId,
  label,
  platform: 'test',
  ringPreference: 'normal',
  lastInputAt: null,
  lastAnsweredAt: null,
});

/** A reply page's call as its node writes it for a takeover; `answeredBy`: a device id. */
function snapshot(accountId: number, callId: string, answeredBy: string | null): CallSnapshot {
  return {
    accountId,
    linkId: 7,
    resumeTokenHash: 'hash',
    startedAt: 1_700_000_000_000,
    incoming: {
      callId,
      callerName: 'Grace',
      callerEmail: null,
      subject: 'Q3',
      video: false,
      senderBusy: false,
      canSendToPhone: false,
    },
    messageKey: null,
    answer: answeredBy
      ? {
          deviceId: answeredBy,
          label: 'Laptop',
          peerId: 'socket-1',
          node: 'node-x',
          answeredAt: new Date(1_700_000_001_000).toISOString(),
          video: false,
        }
      : null,
    phone: false,
  };
}

/** Polls until `check` passes (Redis writes are asynchronous). */
async function eventually(check: () => Promise<void>): Promise<void> {
  await expect
    .poll(async () =>
      check().then(
        () => true,
        () => false,
      ),
    )
    .toBe(true);
}

let account = 1000;

describe.each(Object.entries(implementations))('live state on %s', (_kind, makeNodes) => {
  it('knows which node runs a call; the id cannot be taken twice', async () => {
    const [one, two] = await makeNodes();
    if (!one || !two) throw new Error('two nodes');
    expect(await one.calls.open('call-a', ++account)).toBe(true);
    expect(await two.calls.open('call-a', account)).toBe(false);
    expect(await two.calls.owner('call-a')).toBe(one.name);
    expect(await one.calls.owner('no-such-call')).toBeUndefined();
  });

  it('lets exactly one of many racing opens of one call win', async () => {
    const [one, two] = await makeNodes();
    if (!one || !two) throw new Error('two nodes');
    const id = ++account;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).calls.open(`race-${id}`, id)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('makes the sender busy while answered, for every node; only the owner ends it', async () => {
    const [one, two] = await makeNodes();
    if (!one || !two) throw new Error('two nodes');
    const id = ++account;
    await one.calls.open('call-b', id);
    expect(await two.calls.busy(id)).toBe(false);
    await two.calls.answered('call-b'); // not its call: nothing changes
    expect(await two.calls.busy(id)).toBe(false);
    await one.calls.answered('call-b');
    expect(await two.calls.busy(id)).toBe(true);
    await two.calls.close('call-b'); // not its call either
    expect(await one.calls.owner('call-b')).toBe(one.name);
    await one.calls.close('call-b');
    expect(await two.calls.owner('call-b')).toBeUndefined();
    expect(await two.calls.busy(id)).toBe(false);
  });

  it("hands a dead node's call to exactly one taker, with its snapshot; the taker runs it", async () => {
    const [one, two] = await makeNodes();
    if (!one || !two) throw new Error('two nodes');
    const id = ++account;
    const callId = `taken-${id}`;
    const opened = snapshot(id, callId, null);
    await one.calls.open(callId, id, opened);
    expect(await two.calls.entry(callId)).toEqual({ node: one.name, snapshot: opened });
    const answered = snapshot(id, callId, 'laptop');
    await one.calls.answered(callId, answered);
    expect((await two.calls.entry(callId))?.snapshot).toEqual(answered);
    // Taking it from a node that does not run it changes nothing.
    expect(await two.calls.takeOver(callId, 'some-other-node', answered)).toBe(false);
    // "one" died: both racing takers ask; exactly one wins.
    const takes = await Promise.all(
      Array.from({ length: 10 }, () => two.calls.takeOver(callId, one.name, answered)),
    );
    expect(takes.filter(Boolean)).toHaveLength(1);
    expect(await one.calls.owner(callId)).toBe(two.name);
    // The sender stays busy; the old node can no longer close it, the taker can.
    expect(await one.calls.busy(id)).toBe(true);
    await one.calls.close(callId);
    expect(await one.calls.owner(callId)).toBe(two.name);
    await two.calls.close(callId);
    expect(await one.calls.entry(callId)).toBeUndefined();
    expect(await one.calls.busy(id)).toBe(false);
  });

  it('lists a connected device with its activity, and says when it leaves and comes back', async () => {
    const [one] = await makeNodes();
    if (!one) throw new Error('a node');
    const id = ++account;
    const events: string[] = [];
    one.devices.on('deviceLeft', (a, d) => a === id && events.push(`left ${d}`));
    one.devices.on('deviceJoined', (a, d) => a === id && events.push(`joined ${d}`));

    one.presence.hello(id, 'socket-1', stored('laptop', 'Laptop'));
    one.presence.activity(id, 'laptop', { idleMs: 1000, focused: true, visible: true });
    await eventually(async () => {
      const [laptop] = await one.devices.connectedActivities(id);
      expect(laptop).toMatchObject({ deviceId: 'laptop', label: 'Laptop', focused: true });
      expect(Date.now() - (laptop?.lastInputAt ?? 0)).toBeGreaterThanOrEqual(1000);
    });
    one.presence.disconnect(id, 'laptop', 'socket-1');
    await eventually(async () => expect(await one.devices.connectedActivities(id)).toEqual([]));
    one.presence.hello(id, 'socket-2', stored('laptop', 'Laptop'));
    expect(events).toEqual(['joined laptop', 'left laptop', 'joined laptop']);
  });
});

describe('live state in Redis, across nodes', () => {
  it('tells a node that stalled and lost a call to a taker, at its next refresh', async () => {
    const [one, two] = await Promise.all([redisNode(), redisNode()]);
    const id = ++account;
    const lost: string[] = [];
    one.calls.onLost((callId) => lost.push(callId));
    await one.calls.open(`stalled-${id}`, id, snapshot(id, `stalled-${id}`, null));
    await one.calls.open(`kept-${id}`, id, snapshot(id, `kept-${id}`, null));
    expect(
      await two.calls.takeOver(`stalled-${id}`, one.name, snapshot(id, `stalled-${id}`, null)),
    ).toBe(true);
    await expect.poll(() => lost, { timeout: 10_000 }).toEqual([`stalled-${id}`]);
    // Its refresh no longer claims it back; the call it kept is still its own.
    expect(await two.calls.owner(`stalled-${id}`)).toBe(two.name);
    expect(await two.calls.owner(`kept-${id}`)).toBe(one.name);
  });

  it("ranks a device connected to another node, and forgets a dead node's devices", async () => {
    const [one, two] = await Promise.all([redisNode(), redisNode()]);
    const id = ++account;
    const left: string[] = [];
    one.devices.on('deviceLeft', (_a, d) => left.push(d));
    two.presence.hello(id, 'socket-1', stored('phone', 'Phone on two'));
    await eventually(async () =>
      expect(await one.devices.connectedActivities(id)).toMatchObject([
        { deviceId: 'phone', label: 'Phone on two', online: true },
      ]),
    );
    // Another node hears that it left.
    two.presence.disconnect(id, 'phone', 'socket-1');
    await expect.poll(() => left).toEqual(['phone']);

    // Node two dies (its heartbeat is gone): its devices no longer count.
    two.presence.hello(id, 'socket-2', stored('phone', 'Phone on two'));
    await eventually(async () => expect(await one.devices.connectedActivities(id)).toHaveLength(1));
    two.bus.close();
    await two.client.del(`voxreply:node:${two.name}`);
    expect(await one.devices.connectedActivities(id)).toEqual([]);
  });

  it('writes each node’s calls and devices again after Redis restarts', async () => {
    const [one, two] = await Promise.all([redisNode(), redisNode()]);
    const id = ++account;
    await one.calls.open('call-c', id);
    await one.calls.answered('call-c');
    one.presence.hello(id, 'socket-1', stored('laptop', 'Laptop'));
    await eventually(async () => expect(await two.devices.connectedActivities(id)).toHaveLength(1));

    await redis.restart();
    await once(one.client, 'ready');
    await eventually(async () => {
      expect(await two.calls.owner('call-c')).toBe(one.name);
      expect(await two.calls.busy(id)).toBe(true);
      expect(await two.devices.connectedActivities(id)).toMatchObject([{ deviceId: 'laptop' }]);
    });
  });
});
