// A reply call across two nodes in real Chromium: Redis, PostgreSQL and two
// server processes; the reply page is served by node A (which runs the call
// and its media room), the sender's desk app by node B. The desk rings,
// answers through B, and each side hears the other's tone; hanging up on the
// page ends the call on the desk; the history has one answered call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecordView } from '../../protocol/call.js';
import {
  CALLER_HZ,
  SENDER_HZ,
  callAndAnswer,
  launchCallBrowsers,
  replyPageAndDesk,
  type CallBrowsers,
} from '../support/browser-call.js';
import { expectTone } from '../support/media-probe.js';
import { startTwoNodes, type TwoNodes } from '../support/nodes.js';

let nodes: TwoNodes;
let browsers: CallBrowsers;

beforeAll(async () => {
  nodes = await startTwoNodes();
  browsers = await launchCallBrowsers();
});

afterAll(async () => {
  await browsers.close();
  await nodes.stop();
});

describe('a reply call across two nodes', () => {
  it('rings the desk on node B for the page on node A; both hear each other', async () => {
    const { nodeA, nodeB } = nodes;
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
