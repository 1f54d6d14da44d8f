// Hostile networks: with ICE_TRANSPORT_POLICY=relay every browser reaches the
// media server only through TURN. A real coturn on loopback (shared-secret
// credentials, as deployed) carries a reply call in Chromium; both sides hear
// the other's tone, and coturn logged the allocations our credentials opened.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALLER_HZ,
  SENDER_HZ,
  callAndAnswer,
  launchCallBrowsers,
  openDesk,
  type CallBrowsers,
} from '../support/browser-call.js';
import { startCoturn, type Coturn } from '../support/coturn.js';
import { expectTone } from '../support/media-probe.js';
import { createLink, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let coturn: Coturn;
let server: RunningServer;
let browsers: CallBrowsers;

beforeAll(async () => {
  coturn = await startCoturn();
  server = await startServer({
    RATE_LIMIT_MULTIPLIER: '100',
    TURN_URLS: coturn.url,
    TURN_SECRET: coturn.secret,
    ICE_TRANSPORT_POLICY: 'relay',
  });
  browsers = await launchCallBrowsers();
});

afterAll(async () => {
  await browsers.close();
  await server.stop();
  await coturn.stop();
});

/** Keeps every RTCPeerConnection the page makes, to read which path ICE chose. */
async function watchPeerConnections(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Original = window.RTCPeerConnection;
    const made: RTCPeerConnection[] = [];
    (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections = made;
    window.RTCPeerConnection = class extends Original {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        made.push(this);
      }
    };
  });
}

/** The candidate type of the local end of each connection's selected pair. */
async function localCandidateTypes(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const made = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections;
    const types: string[] = [];
    for (const connection of made) {
      if (connection.connectionState !== 'connected') continue;
      const stats = await connection.getStats();
      const byId = new Map<string, Record<string, unknown>>();
      stats.forEach((entry: Record<string, unknown>) => byId.set(String(entry.id), entry));
      for (const entry of byId.values()) {
        if (entry.type !== 'transport') continue;
        const pair = byId.get(String(entry.selectedCandidatePairId));
        const local = byId.get(String(pair?.localCandidateId));
        types.push(String(local?.candidateType));
      }
    }
    return types;
  });
}

describe('calls through TURN', () => {
  it('connects a reply call with relay-only ICE through coturn, audio both ways', async () => {
    const sender = await signUp(server.url, 'Ada Lovelace');
    const link = await createLink(sender, { recipientName: 'Grace' });
    const desk = await openDesk(browsers.sender, server.url, sender.cookie, watchPeerConnections);
    const caller = await browsers.caller.newPage();
    await watchPeerConnections(caller);
    await caller.goto(`${server.url}/r/${link.token}`);
    await callAndAnswer(caller, desk.page);

    await expectTone(caller, SENDER_HZ);
    await expectTone(desk.page, CALLER_HZ);
    // Each page's send and receive connections go through the relay, nothing direct.
    for (const page of [caller, desk.page]) {
      expect(await localCandidateTypes(page)).toEqual(['relay', 'relay']);
    }
    // Four transports (a send and a receive per browser) allocated with
    // credentials coturn accepted: "<expiry>:<peer id>" users under our realm.
    const allocations = coturn
      .log()
      .split('\n')
      .filter((line) => /user <\d+:[^>]+>: .*ALLOCATE processed, success/.test(line));
    expect(allocations.length).toBeGreaterThanOrEqual(4);

    await desk.page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => caller.locator('#call-status').textContent()).toBe('Call ended');
    await desk.close();
  });
});
