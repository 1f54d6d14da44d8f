// A reply call across two nodes in real Chromium: Redis, PostgreSQL and two
// server processes; the reply page is served by node A (which runs the call
// and its media room), the sender's desk app by node B. The desk rings,
// answers through B, and each side hears the other's tone; hanging up on the
// page ends the call on the desk; the history has one answered call.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import {
  CALLER_HZ,
  SENDER_HZ,
  callAndAnswer,
  launchCallBrowsers,
  openDesk,
  type CallBrowsers,
} from '../support/browser-call.js';
import { expectTone } from '../support/media-probe.js';
import { startPostgres, type Postgres } from '../support/postgres.js';
import { startRedis, type Redis } from '../support/redis.js';
import { createLink, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let postgres: Postgres;
let redis: Redis;
let nodeA: RunningServer;
let nodeB: RunningServer;
let browsers: CallBrowsers;

beforeAll(async () => {
  postgres = await startPostgres();
  redis = await startRedis();
  const shared = {
    DATABASE_URL: await postgres.newDatabase(),
    REDIS_URL: redis.url,
    SECRET_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_MULTIPLIER: '100',
  };
  nodeA = await startServer(shared);
  nodeB = await startServer(shared);
  browsers = await launchCallBrowsers();
});

afterAll(async () => {
  await browsers.close();
  await Promise.all([nodeA.stop(), nodeB.stop()]);
  await redis.stop();
  postgres.stop();
});

describe('a reply call across two nodes', () => {
  it('rings the desk on node B for the page on node A; both hear each other', async () => {
    const sender = await signUp(nodeA.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const { page: desk, close: closeDesk } = await openDesk(
      browsers.sender,
      nodeB.url,
      sender.cookie,
    );
    const caller = await browsers.caller.newPage();
    const errors: string[] = [];
    for (const page of [desk, caller]) page.on('pageerror', (error) => errors.push(error.message));
    await caller.goto(`${nodeA.url}/r/${link.token}`);
    // The page on A counts the desk connected to B (not "offline").
    await expect
      .poll(() => caller.locator('#sender-line').textContent())
      .toMatch(/^Ada Lovelace is (available|away)\.$/);

    await callAndAnswer(caller, desk);
    await expectTone(caller, SENDER_HZ);
    await expectTone(desk, CALLER_HZ);

    await caller.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => desk.locator('#in-call').isVisible()).toBe(false);
    const history = (await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[];
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ outcome: 'answered' });
    expect(errors).toEqual([]);
    await closeDesk();
    await caller.close();
  });
});
