// The media node running a call is killed (SIGKILL), in real Chromium. The
// reply page is on signaling-only node A and the desk on signaling-only node
// B; media nodes C and D. A tells the page its call's node has gone, the
// page resumes the call, the other media node takes it over, both browsers
// set their media up there and hear each other again; the record is one
// complete answered call.
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
import { expectTone, killAndAwaitAudio } from '../support/media-probe.js';
import { startNodes, viewCluster, type Nodes } from '../support/nodes.js';
import type { RunningServer } from '../support/server-process.js';

let cluster: Nodes;
let nodeA: RunningServer;
let nodeB: RunningServer;
let browsers: CallBrowsers;

beforeAll(async () => {
  cluster = await startNodes(2, { MEDIASOUP_WORKERS: '0' });
  [nodeA, nodeB] = cluster.nodes as [RunningServer, RunningServer];
  await cluster.add({ MEDIASOUP_WORKERS: '1' });
  await cluster.add({ MEDIASOUP_WORKERS: '1' });
  browsers = await launchCallBrowsers();
});

afterAll(async () => {
  await browsers.close();
  await cluster.stop();
});

describe('the media node running a call killed mid-call', () => {
  it('goes on on the other media node: both sides hear each other again', async () => {
    const { sender, desk, caller, errors, closeDesk } = await replyPageAndDesk(browsers, {
      deskUrl: nodeB.url,
      pageUrl: nodeA.url,
    });
    await callAndAnswer(caller, desk);
    await expectTone(caller, SENDER_HZ);
    await expectTone(desk, CALLER_HZ);
    const history = () => callHistory(sender);
    const callId = (await history())[0]?.id ?? '';
    const view = await viewCluster(cluster);
    const victim = await view.serverRunning(callId);
    await view.close();
    if (!victim) throw new Error('no media node runs the call');

    const { killedAt, flowing } = await killAndAwaitAudio([caller, desk], () =>
      victim.stop('SIGKILL'),
    );
    const [callerAt, deskAt] = await flowing;
    // Reported, not asserted (see bench/README.md).
    console.log(
      `media flowing again after the media node was killed: caller ${callerAt - killedAt} ms, desk ${deskAt - killedAt} ms`,
    );
    await expectTone(caller, SENDER_HZ);
    await expectTone(desk, CALLER_HZ);
    await expect.poll(() => caller.locator('#call-status').textContent()).toMatch(/^Connected/);

    await desk.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => caller.locator('#call-status').textContent()).toBe('Call ended');
    await expect.poll(history).toEqual([
      expect.objectContaining({
        id: callId,
        outcome: 'answered',
        endedAt: expect.any(String) as string,
      }),
    ]);
    expect(errors).toEqual([]);
    await closeDesk();
    await caller.close();
  });
});
