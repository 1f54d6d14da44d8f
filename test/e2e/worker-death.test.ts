// A mediasoup worker dies in the middle of a call (SIGKILL): the call moves to
// a new room on the other worker, both browsers set their media up again
// there, and each hears the other's tone again. The record stays one call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callHistory } from '../support/sender.js';
import {
  CALLER_HZ,
  SENDER_HZ,
  callAndAnswer,
  launchCallBrowsers,
  replyPageAndDesk as openCallPages,
  type CallBrowsers,
} from '../support/browser-call.js';
import { expectTone, killAndAwaitAudio } from '../support/media-probe.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let server: RunningServer;
let browsers: CallBrowsers;

beforeAll(async () => {
  // info: the test reads which worker holds the call's room from the log.
  server = await startServer({
    RATE_LIMIT_MULTIPLIER: '100',
    MEDIASOUP_WORKERS: '2',
    LOG_LEVEL: 'info',
  });
  browsers = await launchCallBrowsers();
});

afterAll(async () => {
  await browsers.close();
  await server.stop();
});

const MOVED = 'media worker lost: call moved to a new room';
const CREATED = 'media room created';

/** The server's JSON log lines with this message. */
function logged(message: string): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.includes(`"msg":"${message}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const replyPageAndDesk = () =>
  openCallPages(browsers, { deskUrl: server.url, pageUrl: server.url });

describe('a media worker dying mid-call', () => {
  it('moves the call to another worker; both sides hear each other again', async () => {
    const { sender, desk, caller, errors, closeDesk } = await replyPageAndDesk();
    await callAndAnswer(caller, desk);
    await expectTone(caller, SENDER_HZ);
    await expectTone(desk, CALLER_HZ);

    const room = logged(CREATED).at(-1);
    const pid = Number(room?.workerPid);
    expect(pid).toBeGreaterThan(0);
    const { killedAt, flowing } = await killAndAwaitAudio([caller, desk], () =>
      process.kill(pid, 'SIGKILL'),
    );

    await expect.poll(() => logged(MOVED).length).toBe(1);
    const moved = logged(MOVED)[0];
    expect(moved).toMatchObject({ callId: room?.callId, from: pid });
    expect(moved?.to).not.toBe(pid);
    const [callerAt, deskAt] = await flowing;
    // How long the two sides were apart (reported, not asserted: see bench/README.md).
    console.log(
      `media flowing again after the worker was killed: caller ${callerAt - killedAt} ms, desk ${deskAt - killedAt} ms`,
    );
    await expectTone(caller, SENDER_HZ);
    await expectTone(desk, CALLER_HZ);
    expect(await caller.locator('#call-status').textContent()).toMatch(/^Connected/);

    await caller.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => desk.locator('#in-call').isVisible()).toBe(false);
    const history = await callHistory(sender);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      outcome: 'answered',
      answeredOn: expect.any(String) as string,
    });
    expect(errors).toEqual([]);
    await closeDesk();
  });

  it('moves a call that is still ringing; answered afterwards, both sides hear each other', async () => {
    const { desk, caller, errors, closeDesk } = await replyPageAndDesk();
    const rooms = logged(CREATED).length;
    await caller.getByRole('button', { name: 'Call', exact: true }).click();
    const dialog = desk.getByRole('dialog', { name: 'Incoming call' });
    await expect.poll(() => dialog.isVisible(), { timeout: 10_000 }).toBe(true);

    // The worker holding the ringing call's room dies before anyone answers.
    const moves = logged(MOVED).length;
    // This call's room (the log may reach us a moment after the ring).
    await expect.poll(() => logged(CREATED).length).toBe(rooms + 1);
    const pid = Number(logged(CREATED).at(-1)?.workerPid);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => logged(MOVED).length).toBe(moves + 1);
    expect(await dialog.isVisible()).toBe(true);

    await dialog.getByRole('button', { name: 'Answer', exact: true }).click();
    await expectTone(caller, SENDER_HZ);
    await expectTone(desk, CALLER_HZ);
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => desk.locator('#in-call').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await closeDesk();
  });
});
