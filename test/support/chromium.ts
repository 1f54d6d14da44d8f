// Debian's Chromium driven by playwright-core, with the flags this machine needs
// (see ../shared/notes/real-peers.md) and a fake microphone playing a WAV.
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(options: { microphoneWav?: string } = {}): Promise<Browser> {
  const args = [
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
  if (options.microphoneWav)
    args.push(`--use-file-for-fake-audio-capture=${options.microphoneWav}`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}
