// Debian's Chromium driven by playwright-core, with the flags this machine needs
// (see ../shared/notes/real-peers.md) and a fake microphone playing a WAV.
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
} from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine needs (../shared/notes/real-peers.md). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

export async function launchChromium(options: { microphoneWav?: string } = {}): Promise<Browser> {
  const args = [...CHROMIUM_ARGS];
  if (options.microphoneWav)
    args.push(`--use-file-for-fake-audio-capture=${options.microphoneWav}`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** A browser context logged in as the sender whose session cookie ("name=value") is given. */
export async function loggedInContext(
  browser: Browser,
  baseUrl: string,
  cookie: string,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  const [name, value] = cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: baseUrl }]);
  return context;
}
