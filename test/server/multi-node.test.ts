// Two signaling nodes sharing PostgreSQL and Redis (the Socket.IO Redis
// adapter): what one node emits to a room reaches sockets on the other. A
// reply page on node A and the sender's desk app on node B chat both ways,
// and keep doing so after Redis restarts.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../protocol/chat.js';
import { startPostgres, type Postgres } from '../support/postgres.js';
import { startRedis, type Redis } from '../support/redis.js';
import { connect, connectDevice, createLink, ok, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let postgres: Postgres;
let redis: Redis;
let nodeA: RunningServer;
let nodeB: RunningServer;

beforeAll(async () => {
  postgres = await startPostgres();
  redis = await startRedis();
  const shared = {
    DATABASE_URL: await postgres.newDatabase(),
    REDIS_URL: redis.url,
    // Every node seals and opens values with the same key.
    SECRET_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_MULTIPLIER: '100',
  };
  // One after the other: the first runs the migrations.
  nodeA = await startServer(shared);
  nodeB = await startServer(shared);
});

afterAll(async () => {
  await Promise.all([nodeA.stop(), nodeB.stop()]);
  await redis.stop();
  postgres.stop();
});

describe('two nodes through Redis', () => {
  it('refuses to start a node that cannot reach Redis, saying so', async () => {
    await expect(startServer({ REDIS_URL: 'redis://127.0.0.1:9' })).rejects.toThrow(
      /cannot reach Redis at REDIS_URL within 10 s/,
    );
  });

  it('carries a chat between a reply page on one node and the desk app on the other', async () => {
    const sender = await signUp(nodeA.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const desk = await connectDevice(nodeB.url, sender, 'Laptop');
    const page = await connect(nodeA.url);
    const atDesk: ChatMessage[] = [];
    const atPage: ChatMessage[] = [];
    desk.socket.on('chat:message', (message) => atDesk.push(message));
    page.on('chat:message', (message) => atPage.push(message));
    ok(await desk.socket.emitWithAck('chat:open', { linkId: link.id }));
    ok(await page.emitWithAck('chat:open', { token: link.token }));

    ok(await page.emitWithAck('chat:send', { token: link.token, text: 'Hello from A' }));
    await expect.poll(() => atDesk.map((m) => m.text)).toEqual(['Hello from A']);
    ok(await desk.socket.emitWithAck('chat:send', { linkId: link.id, text: 'Hi from B' }));
    await expect.poll(() => atPage.map((m) => m.text)).toEqual(['Hi from B']);

    // Redis goes away and comes back: the nodes reconnect and carry messages again.
    await redis.restart();
    await expect
      .poll(
        async () => {
          const text = `after the restart ${randomBytes(4).toString('hex')}`;
          ok(await page.emitWithAck('chat:send', { token: link.token, text }));
          await new Promise((resolve) => setTimeout(resolve, 200));
          return atDesk.some((m) => m.text === text);
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe(true);
    page.disconnect();
    desk.socket.disconnect();
  });
});
