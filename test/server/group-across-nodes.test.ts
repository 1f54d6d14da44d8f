// A group reply across two nodes: the first recipient calls through node A
// (which runs the call, the sender's desk is there too), the email's other
// recipient's page is connected to node B. B forwards its join to A: the
// page is in the call (everyone sees the three), its media requests reach
// A's room, and its hang-up leaves the others talking.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallParticipants, GroupCallState } from '../../protocol/group.js';
import { freePort } from '../support/free-port.js';
import { startMailSink, type MailSink } from '../support/mail-sink.js';
import { startNodes, type Nodes } from '../support/nodes.js';
import { relayedLinks } from '../support/relayed-links.js';
import { callHistory, ok, signUp, socketsPerTest } from '../support/sender.js';
import type { RunningServer } from '../support/server-process.js';

let cluster: Nodes;
let sink: MailSink;
let relayPort: number;
let nodeA: RunningServer;
let nodeB: RunningServer;
const { caller: page, device } = socketsPerTest();

beforeAll(async () => {
  sink = await startMailSink();
  relayPort = await freePort();
  // Each call runs where its page connects (node A, which B forwards the join to).
  cluster = await startNodes(1, { MEDIA_PLACEMENT: 'local' });
  nodeB = cluster.nodes[0] as RunningServer;
  // Node A relays the sender's mail (the links go to the sink).
  nodeA = await cluster.add({ MAIL_SMARTHOST: sink.url, SMTP_RELAY_PORT: String(relayPort) });
});

afterAll(async () => {
  await cluster.stop();
  await sink.close();
});

const names = (list: CallParticipants | undefined): string[] =>
  (list?.participants ?? []).map((p) => `${p.role}:${p.name}`);

describe('a group reply across nodes', () => {
  it('lets a recipient whose page is on another node join, talk and leave', async () => {
    const sender = await signUp(nodeA.url, 'Sam Sender');
    const links = await relayedLinks(
      { sink, relayPort },
      {
        sender,
        subject: `Offsite ${Date.now()}`,
        to: ['Ada <ada@example.org>'],
        cc: ['Bob <bob@example.org>'],
      },
    );
    const adaToken = links.get('ada@example.org') ?? '';
    const bobToken = links.get('bob@example.org') ?? '';
    const laptop = await device(nodeA.url, sender, 'Laptop');
    const atDesk: CallParticipants[] = [];
    laptop.socket.on('call:participants', (list) => atDesk.push(list));
    const ada = await page(nodeA.url);
    const bob = await page(nodeB.url);
    const bobStates: GroupCallState[] = [];
    bob.socket.on('group:state', (state) => bobStates.push(state));
    ok(await bob.socket.emitWithAck('group:watch', { token: bobToken }));

    const { callId } = ok(
      await ada.socket.emitWithAck('call:start', {
        token: adaToken,
        callerName: 'Ada',
        video: false,
      }),
    );
    await expect.poll(() => laptop.rings.length).toBe(1);
    ok(await laptop.socket.emitWithAck('call:answer', { callId, video: false }));
    // Bob's page on B hears of the call A runs.
    await expect
      .poll(() => bobStates.at(-1))
      .toEqual({ callId, talking: ['Ada'], canJoin: true, video: false });

    const joined = ok(
      await bob.socket.emitWithAck('call:join', {
        token: bobToken,
        callId,
        callerName: 'Bob',
        video: false,
      }),
    );
    expect(joined.callId).toBe(callId);
    await expect.poll(() => bob.stages.at(-1)).toBe('connected');
    const everyone = ['sender:Sam Sender', 'recipient:Ada', 'recipient:Bob'];
    await expect.poll(() => names(atDesk.at(-1))).toEqual(everyone);
    // Bob's media requests reach the room on A's worker.
    ok(await bob.socket.emitWithAck('media:createTransport', { direction: 'recv' }));
    const recipients = ok(await laptop.socket.emitWithAck('call:recipients', { callId }));
    expect(recipients.find((r) => r.name === 'Bob')).toMatchObject({ inCall: true });

    ok(await bob.socket.emitWithAck('call:hangup', { callId }));
    await expect.poll(() => names(atDesk.at(-1))).toEqual(['sender:Sam Sender', 'recipient:Ada']);
    expect(ada.stages.at(-1)).toBe('connected');
    ok(await laptop.socket.emitWithAck('call:hangup', { callId }));
    expect((await callHistory(sender))[0]?.guests).toEqual(['Bob']);
  });
});
