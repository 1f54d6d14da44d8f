// A reply call between real Chromiums: the sender's desk app and a caller's
// reply page, each browser with its own microphone tone.
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchChromium, loggedInContext } from './chromium.js';
import { createLink, signUp } from './sender.js';
import { toneWav } from './tones.js';

/** What the sender's and the caller's fake microphones play. */
export const SENDER_HZ = 440;
export const CALLER_HZ = 880;

export interface CallBrowsers {
  sender: Browser;
  caller: Browser;
  close: () => Promise<void>;
}

export async function launchCallBrowsers(): Promise<CallBrowsers> {
  const [sender, caller] = await Promise.all([
    launchChromium({ microphoneWav: toneWav(SENDER_HZ) }),
    launchChromium({ microphoneWav: toneWav(CALLER_HZ) }),
  ]);
  return {
    sender,
    caller,
    close: async () => {
      await Promise.all([sender.close(), caller.close()]);
    },
  };
}

/**
 * The desk app in a new context of `browser`, logged in with `cookie`, its
 * socket connected; `prepare` runs on the page before it loads.
 */
export async function openDesk(
  browser: Browser,
  baseUrl: string,
  cookie: string,
  prepare: (page: Page) => Promise<void> = () => Promise.resolve(),
): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await loggedInContext(browser, baseUrl, cookie);
  const page = await context.newPage();
  await prepare(page);
  await page.goto(`${baseUrl}/app`);
  await expect
    .poll(() => page.locator('#connection').getAttribute('data-connection-state'))
    .toBe('connected');
  return { page, close: () => context.close() };
}

/** The caller presses Call on the reply page; the desk answers the ring. */
export async function callAndAnswer(caller: Page, desk: Page): Promise<void> {
  await caller.getByRole('button', { name: 'Call', exact: true }).click();
  const dialog = desk.getByRole('dialog', { name: 'Incoming call' });
  await dialog.getByRole('button', { name: 'Answer', exact: true }).click({ timeout: 10_000 });
}

/**
 * A new sender's desk app (served by `deskUrl`) and a reply page on one of
 * their links (served by `pageUrl`), page errors collected.
 */
export async function replyPageAndDesk(
  browsers: CallBrowsers,
  urls: { deskUrl: string; pageUrl: string },
) {
  const sender = await signUp(urls.pageUrl, 'Ada Lovelace');
  const link = await createLink(sender, { recipientName: 'Grace' });
  const { page: desk, close: closeDesk } = await openDesk(
    browsers.sender,
    urls.deskUrl,
    sender.cookie,
  );
  const caller = await browsers.caller.newPage();
  const errors: string[] = [];
  for (const page of [desk, caller]) page.on('pageerror', (error) => errors.push(error.message));
  await caller.goto(`${urls.pageUrl}/r/${link.token}`);
  return { sender, desk, caller, errors, closeDesk };
}
