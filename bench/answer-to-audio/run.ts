// Answer to first audio: in Chromium on loopback, from the click on "Answer"
// in the desk app to the first audio (the sender's 440 Hz microphone) heard on
// the caller's page. Both pages read the same wall clock (one machine).
//
//   npx tsx bench/answer-to-audio/run.ts [calls=20]
import os from 'node:os';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../test/support/chromium.js';
import { startServer } from '../../test/support/server-process.js';
import { LOAD_SETTINGS } from '../lib/load-settings.js';
import { createLink, signUp } from '../../test/support/sender.js';
import { toneWav } from '../../test/support/tones.js';

const calls = Number(process.argv[2] ?? 20);

/**
 * In-page code, as a string so the TypeScript loader adds no helpers to it:
 * resolves with the epoch ms at which audio above the threshold first plays
 * in #remote-audio.
 */
const FIRST_AUDIO_AT = `new Promise((resolve) => {
  let analyser;
  const samples = new Float32Array(2048);
  function poll() {
    const stream = document.querySelector('#remote-audio')?.srcObject;
    if (!analyser && stream instanceof MediaStream && stream.getAudioTracks().length > 0) {
      const context = new AudioContext();
      analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(stream).connect(analyser);
      context.resume();
    }
    if (analyser) {
      analyser.getFloatTimeDomainData(samples);
      let energy = 0;
      for (const s of samples) energy += s * s;
      if (Math.sqrt(energy / samples.length) > 0.01) return resolve(Date.now());
    }
    setTimeout(poll, 2);
  }
  poll();
})`;

function firstAudioAt(page: Page): Promise<number> {
  return page.evaluate<number>(FIRST_AUDIO_AT);
}

const server = await startServer(LOAD_SETTINGS);
const senderBrowser = await launchChromium({ microphoneWav: toneWav(440) });
const callerBrowser = await launchChromium({ microphoneWav: toneWav(880) });
const latencies: number[] = [];
try {
  const sender = await signUp(server.url);
  const link = await createLink(sender, { recipientName: 'Bench Caller' });
  const context = await senderBrowser.newContext();
  const [name, value] = sender.cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: server.url }]);
  const desk = await context.newPage();
  await desk.goto(`${server.url}/app`);
  await desk.locator('#devices tr[data-device-state]').first().waitFor();
  const caller = await callerBrowser.newPage();

  for (let i = 0; i < calls; i++) {
    await caller.goto(`${server.url}/r/${link.token}`);
    await caller.getByRole('button', { name: 'Call', exact: true }).click();
    await desk.getByRole('dialog', { name: 'Incoming call' }).waitFor();
    const heard = firstAudioAt(caller);
    const clickedAt = await desk.evaluate<number>(
      `(() => { const at = Date.now(); document.querySelector('#answer').click(); return at; })()`,
    );
    latencies.push((await heard) - clickedAt);
    await caller.getByRole('button', { name: 'Hang up' }).click();
    await desk.locator('#in-call').waitFor({ state: 'hidden' });
  }
} finally {
  await Promise.all([senderBrowser.close(), callerBrowser.close()]);
  await server.stop();
}

latencies.sort((a, b) => a - b);
const at = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
console.log(
  `\nMachine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, Chromium (Debian)\n`,
);
console.log('| calls | p50 (ms) | p90 (ms) | max (ms) |');
console.log('| --- | --- | --- | --- |');
console.log(`| ${latencies.length} | ${at(50)} | ${at(90)} | ${latencies.at(-1) ?? NaN} |`);
