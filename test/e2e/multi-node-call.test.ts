// A reply call across three nodes in real Chromium: Redis, PostgreSQL and
// three server processes. The reply page is served by node A and the
// sender's desk app by node B, both signaling only; the call and its media
// room run on node C's worker (the only media node, so placement puts it
// there). The desk rings, answers through B, and each side hears the other's
// tone; hanging up on the page ends the call on the desk; the history has one
// answered call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callHistory } from '../support/sender.js';
import {
  CALLER_HZ,
  SENDER_HZ,
  callAndAnswer,
  launchCallBrowsers,
  replyPageAndDesk,
  type CallBrowsers,
} from '../support/browser-call.js';
import { expectTone } from '../support/media-probe.js';
import { startNodes, type Nodes } from '../support/nodes.js';
import type { RunningServer } from '../support/server-process.js';

let cluster: Nodes;
let nodeA: RunningServer;
let nodeB: RunningServer;
let nodeC: RunningServer;
let browsers: CallBrowsers;

beforeAll(async () => {
  cluster = await startNodes(2, { MEDIASOUP_WORKERS: '0', LOG_LEVEL: 'info' });
  [nodeA, nodeB] = cluster.nodes as [RunningServer, RunningServer];
  nodeC = await cluster.add({ MEDIASOUP_WORKERS: '1' });
  browsers = await launchCallBrowsers();
});

afterAll(async () => {
  await browsers.close();
  await cluster.stop();
});

/** The nodes' log lines with this message. */
function logged(node: RunningServer, message: string): string[] {
  return node
    .output()
    .split('\n')
    .filter((line) => line.includes(`"msg":"${message}"`));
}

describe('a reply call across three nodes', () => {
  it("rings the desk on B for the page on A, in a room on C's worker; both hear each other", async () => {
    const { sender, desk, caller, errors, closeDesk } = await replyPageAndDesk(browsers, {
      deskUrl: nodeB.url,
      pageUrl: nodeA.url,
    });
    // The page on A counts the desk connected to B (not "offline").
    await expect
      .poll(() => caller.locator('#sender-line').textContent())
      .toMatch(/^Ada Lovelace is (available|away)\.$/);

    await callAndAnswer(caller, desk);
    await expectTone(caller, SENDER_HZ);
    await expectTone(desk, CALLER_HZ);
    // The room is on C's worker; A and B have none.
    expect(logged(nodeC, 'media room created')).toHaveLength(1);
    expect([nodeA, nodeB].flatMap((node) => logged(node, 'media room created'))).toEqual([]);

    await caller.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => desk.locator('#in-call').isVisible()).toBe(false);
    const history = await callHistory(sender);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ outcome: 'answered' });
    expect(errors).toEqual([]);
    await closeDesk();
    await caller.close();
  });
});
