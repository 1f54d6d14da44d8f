// A signaling node killed (SIGKILL) in the middle of a call: the reply page
// that reached it reconnects to another node and resumes the call there with
// its token; that node takes the call over (new media room), the sender's
// desk on a third node follows it, and the record stays one complete call.
// A page reconnecting through another node to a call whose node is alive
// is let back in there.
// A call still ringing rings on. A page whose node is alive cannot resume a
// call that node ended, and a wrong token resumes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JoinRoomResult } from '../../protocol/media.js';
import {
  callHistory,
  createLink,
  ok,
  signUp,
  socketsPerTest,
  startCall,
} from '../support/sender.js';
import { startNodes, type Nodes } from '../support/nodes.js';
import type { RunningServer } from '../support/server-process.js';

let cluster: Nodes;
let nodeB: RunningServer;
let nodeC: RunningServer;
const { caller, device } = socketsPerTest();

beforeAll(async () => {
  // Each call runs where its page connects (the node the test kills).
  cluster = await startNodes(2, { MEDIA_PLACEMENT: 'local' });
  [nodeB, nodeC] = cluster.nodes as [RunningServer, RunningServer];
});

afterAll(async () => {
  await cluster.stop();
});

/** A sender, a link, a desk on `deskUrl`, and a page on a fresh node A that calls. */
async function callFromNodeA(deskUrl: string) {
  const nodeA = await cluster.add();
  const sender = await signUp(nodeB.url, 'Sam Sender');
  const link = await createLink(sender, { recipientName: 'Grace', subject: 'Q3 plan' });
  const laptop = await device(deskUrl, sender, 'Laptop');
  const moves: JoinRoomResult[] = [];
  laptop.socket.on('media:roomMoved', (joined) => moves.push(joined));
  const page = await caller(nodeA.url);
  const started = await startCall(page, link.token);
  await expect.poll(() => laptop.rings.map((ring) => ring.callId)).toEqual([started.callId]);
  return {
    nodeA,
    sender,
    laptop,
    moves,
    page,
    callId: started.callId,
    resumeToken: started.resumeToken,
  };
}

describe('a signaling node killed mid-call', () => {
  it('goes on through another node: the page resumes there, the desk on a third follows', async () => {
    const { nodeA, sender, laptop, moves, callId, resumeToken } = await callFromNodeA(nodeB.url);
    expect(resumeToken).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    ok(await laptop.socket.emitWithAck('call:answer', { callId, video: false }));
    // The desk's media requests reach the room on A's worker.
    ok(await laptop.socket.emitWithAck('media:createTransport', { direction: 'recv' }));

    await nodeA.stop('SIGKILL');
    const page = await caller(nodeC.url);
    // A wrong token resumes nothing (and takes nothing over).
    expect(
      await page.socket.emitWithAck('call:resume', { callId, resumeToken: 'x'.repeat(24) }),
    ).toEqual({ ok: false, error: { code: 'not_found', message: 'the call ended' } });

    const resumed = ok(
      await page.socket.emitWithAck('call:resume', { callId, resumeToken: resumeToken ?? '' }),
    );
    expect(resumed.callId).toBe(callId);
    expect(resumed.media.routerRtpCapabilities).toHaveProperty('codecs');
    // The page hears it is connected again (since the original answer).
    await expect.poll(() => page.stages).toEqual(['connected']);
    // The desk on B is told of its new room, and its media requests now reach C's.
    await expect.poll(() => moves.length).toBe(1);
    const transport = ok(
      await laptop.socket.emitWithAck('media:createTransport', { direction: 'send' }),
    );
    expect(transport.id).toMatch(/./);
    // The page's connection moves again, now to B while C runs the call: C lets it back in
    // (forwarded through B); the older connection is told it is out.
    const replaced: unknown[] = [];
    page.socket.on('call:ended', (event) => replaced.push(event));
    const later = await caller(nodeB.url);
    ok(await later.socket.emitWithAck('call:resume', { callId, resumeToken: resumeToken ?? '' }));
    await expect.poll(() => later.stages).toEqual(['connected']);
    expect(replaced).toEqual([{ callId, by: 'system' }]);
    // Its media requests reach C's room through B.
    ok(await later.socket.emitWithAck('media:createTransport', { direction: 'recv' }));

    const ended: unknown[] = [];
    later.socket.on('call:ended', (event) => ended.push(event));
    ok(await laptop.socket.emitWithAck('call:hangup', { callId }));
    await expect.poll(() => ended).toEqual([{ callId, by: 'sender' }]);
    // One call, complete: answered on the desk, ended, with its duration.
    await expect
      .poll(async () => callHistory(sender))
      .toEqual([
        expect.objectContaining({
          id: callId,
          outcome: 'answered',
          answeredOn: 'Laptop',
          endedAt: expect.any(String) as string,
          durationSeconds: expect.any(Number) as number,
        }),
      ]);
  });

  it('rings on when the node dies before anyone answered; the desk answers through its own node', async () => {
    const { nodeA, sender, laptop, callId, resumeToken } = await callFromNodeA(nodeB.url);
    await nodeA.stop('SIGKILL');
    // The page reconnects to the desk's node this time.
    const page = await caller(nodeB.url);
    ok(await page.socket.emitWithAck('call:resume', { callId, resumeToken: resumeToken ?? '' }));
    await expect.poll(() => page.stages).toContain('ringing');
    // Rung again for the same call, answered on B, which runs it now.
    await expect.poll(() => laptop.rings.map((ring) => ring.callId)).toEqual([callId, callId]);
    const answered = ok(await laptop.socket.emitWithAck('call:answer', { callId, video: false }));
    expect(answered.callId).toBe(callId);
    await expect.poll(() => page.stages.at(-1)).toBe('connected');
    ok(await page.socket.emitWithAck('call:hangup', { callId }));
    await expect
      .poll(async () => (await callHistory(sender))[0])
      .toMatchObject({ id: callId, outcome: 'answered', answeredOn: 'Laptop' });
  });

  it('cannot resume a call its live node ended when the page dropped', async () => {
    const { nodeA, laptop, page: first, callId, resumeToken } = await callFromNodeA(nodeB.url);
    ok(await laptop.socket.emitWithAck('call:answer', { callId, video: false }));
    const ended: unknown[] = [];
    laptop.socket.on('call:ended', (event) => ended.push(event));
    // The page's connection to A drops; A is alive and ends the call.
    first.socket.disconnect();
    await expect.poll(() => ended).toEqual([{ callId, by: 'caller' }]);
    const page = await caller(nodeC.url);
    expect(
      await page.socket.emitWithAck('call:resume', { callId, resumeToken: resumeToken ?? '' }),
    ).toEqual({ ok: false, error: { code: 'not_found', message: 'the call ended' } });
    await nodeA.stop();
  });
});
