// Group replies end to end in real Chromium: the sender's desk app and two
// recipients of one email, each browser with its own fake microphone tone. The
// first recipient calls, the desk answers, the second sees "Ada is talking
// with Sam Sender… Join?" and joins; everyone hears the other two, one tile
// per person, and the loudest is marked as speaking.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDesk } from '../support/browser-call.js';
import { launchChromium } from '../support/chromium.js';
import { dominantFrequency } from '../support/media-probe.js';
import {
  relayedLinks,
  startRelayingServer,
  type RelayingServer,
} from '../support/relayed-links.js';
import { signUp } from '../support/sender.js';
import type { RunningServer } from '../support/server-process.js';
import { toneWav } from '../support/tones.js';

const SENDER_HZ = 440;
const ADA_HZ = 660;
const BOB_HZ = 880;
const TOLERANCE_HZ = 15;

let relay: RelayingServer;
let server: RunningServer;
let browsers: Browser[];

beforeAll(async () => {
  relay = await startRelayingServer();
  server = relay.server;
  browsers = await Promise.all(
    [SENDER_HZ, ADA_HZ, BOB_HZ].map((hz) => launchChromium({ microphoneWav: toneWav(hz) })),
  );
});

afterAll(async () => {
  await Promise.all(browsers.map((browser) => browser.close()));
  await relay.stop();
});

/** The tone each tile of the page plays (one per other participant), by name. */
async function heard(page: Page): Promise<Record<string, number>> {
  const tiles = await page.locator('#remote-media .tile').evaluateAll((elements) =>
    elements.map((element) => ({
      peerId: (element as HTMLElement).dataset.peerId ?? '',
      name: element.querySelector('figcaption')?.textContent.replace(' (speaking)', '') ?? '',
    })),
  );
  const tones: Record<string, number> = {};
  for (const tile of tiles) {
    tones[tile.name] = await dominantFrequency(
      page,
      `#remote-media .tile[data-peer-id="${tile.peerId}"] audio`,
    );
  }
  return tones;
}

/** Polls until the page hears exactly these people at these tones. */
async function expectToHear(page: Page, expected: Record<string, number>): Promise<void> {
  await expect
    .poll(
      async () => {
        const tones = await heard(page);
        // Within tolerance counts as the expected tone (the FFT's bins are ~6 Hz wide).
        return Object.fromEntries(
          Object.entries(tones).map(([name, hz]) => {
            const want = expected[name];
            return [name, want !== undefined && Math.abs(hz - want) <= TOLERANCE_HZ ? want : hz];
          }),
        );
      },
      { timeout: 20_000, interval: 500 },
    )
    .toEqual(expected);
}

describe('a group reply', () => {
  it('puts the sender and two recipients of one email in one call, each hearing the other two', async () => {
    const [senderBrowser, adaBrowser, bobBrowser] = browsers;
    if (!senderBrowser || !adaBrowser || !bobBrowser) throw new Error('three browsers');
    const sender = await signUp(server.url, 'Sam Sender');
    const links = await relayedLinks(relay, {
      sender,
      subject: 'Offsite plan',
      to: ['Ada <ada@example.org>'],
      cc: ['Bob <bob@example.org>'],
    });

    const { page: desk, close: closeDesk } = await openDesk(
      senderBrowser,
      server.url,
      sender.cookie,
    );

    const errors: string[] = [];
    const ada = await adaBrowser.newPage();
    const bob = await bobBrowser.newPage();
    for (const page of [desk, ada, bob])
      page.on('pageerror', (error) => errors.push(error.message));
    await bob.goto(`${server.url}/r/${links.get('bob@example.org') ?? ''}`);
    await ada.goto(`${server.url}/r/${links.get('ada@example.org') ?? ''}`);
    await ada.getByRole('button', { name: 'Call', exact: true }).click();
    const dialog = desk.getByRole('dialog', { name: 'Incoming call' });
    await dialog.getByRole('button', { name: 'Answer', exact: true }).click({ timeout: 10_000 });
    await expect
      .poll(() => ada.locator('#call-status').textContent())
      .toMatch(/^Connected \d+:\d\d$/);

    // Bob's page (open all along) offers the running call instead of a new one.
    const prompt = bob.getByRole('region', { name: /talking with Sam Sender/ });
    await expect
      .poll(() => prompt.textContent(), { timeout: 10_000 })
      .toContain('Ada is talking with Sam Sender about this email. Join?');
    expect(await bob.getByRole('button', { name: 'Call', exact: true }).isVisible()).toBe(false);
    // The sender sees that Bob has the email's reply page open, ready to be invited.
    const invites = desk.getByRole('region', { name: 'Others who got this email' });
    await expect
      .poll(() => invites.locator('li').allTextContents())
      .toEqual([
        'Ada (ada@example.org) — in the call',
        'Bob (bob@example.org) (reply page open) Invite',
      ]);
    await prompt.getByRole('button', { name: 'Join the call' }).click();
    await expect
      .poll(() => bob.locator('#call-status').textContent())
      .toMatch(/^Connected \d+:\d\d$/);

    // Three distinct tones: everyone hears the other two, each in its own tile.
    await expectToHear(desk, { Ada: ADA_HZ, Bob: BOB_HZ });
    await expectToHear(ada, { 'Sam Sender': SENDER_HZ, Bob: BOB_HZ });
    await expectToHear(bob, { 'Sam Sender': SENDER_HZ, Ada: ADA_HZ });
    // mediasoup's ActiveSpeakerObserver names one of them the speaker: the
    // other two pages mark that person's tile (nobody has a tile of their own).
    await expect
      .poll(async () => {
        const marked = await Promise.all(
          [desk, ada, bob].map((page) =>
            page.locator('#remote-media .tile.speaking figcaption').allTextContents(),
          ),
        );
        const names = marked.flat();
        return names.length === 2 && names[0] === names[1] ? names[0] : names;
      })
      .toMatch(/^(Sam Sender|Ada|Bob) \(speaking\)$/);

    // The sender sees the email's recipients, both in the call.
    await expect
      .poll(() => invites.locator('li').allTextContents())
      .toEqual(['Ada (ada@example.org) — in the call', 'Bob (bob@example.org) — in the call']);

    // Bob leaves: his tile goes from the others' screens, and they talk on.
    await bob.getByRole('button', { name: 'Hang up' }).click();
    const tileNames = (page: Page) =>
      page.locator('#remote-media .tile figcaption').allTextContents();
    await expect.poll(() => tileNames(desk)).toEqual(['Ada']);
    await expect.poll(() => tileNames(ada)).toEqual(['Sam Sender']);
    await expectToHear(desk, { Ada: ADA_HZ });

    await desk.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => ada.locator('#call-status').textContent()).toBe('Call ended');
    expect(errors).toEqual([]);
    await closeDesk();
  });
});
