// Measures, inside a page, what a media element is actually receiving: the
// dominant frequency of its audio, the frames of its video.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** One FFT bin at 48 kHz / 8192 is 5.9 Hz; codecs add a little more. */
export const TOLERANCE_HZ = 15;

/** Polls until the page plays `hz` from the far end (the first remote voice, or `selector`). */
export async function expectTone(
  page: Page,
  hz: number,
  selector = '#remote-media audio',
  timeout = 15_000,
): Promise<void> {
  await expect
    .poll(async () => Math.abs((await dominantFrequency(page, selector)) - hz), {
      timeout,
      interval: 250,
    })
    .toBeLessThanOrEqual(TOLERANCE_HZ);
}

/** Dominant frequency (Hz) of the audio playing in `selector`, sampled over ~1.5 s. */
export function dominantFrequency(page: Page, selector: string): Promise<number> {
  return measureFrequency(page, selector, 'stream');
}

/**
 * Plays the media element `selector` (a recording with a src) and returns the
 * dominant frequency (Hz) of what it plays, sampled over ~1.5 s.
 */
export function playedFrequency(page: Page, selector: string): Promise<number> {
  return measureFrequency(page, selector, 'element');
}

/**
 * The median of six spectrum peaks, 250 ms apart, of what a media element
 * receives (its srcObject stream) or plays (the element itself, started here).
 */
async function measureFrequency(
  page: Page,
  selector: string,
  source: 'stream' | 'element',
): Promise<number> {
  return page.evaluate(
    async ([sel, from]) => {
      const element = document.querySelector<HTMLMediaElement>(sel);
      if (!element) return 0;
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 8192;
      if (from === 'stream') {
        const stream = element.srcObject;
        if (!(stream instanceof MediaStream) || stream.getAudioTracks().length === 0) return 0;
        context.createMediaStreamSource(stream).connect(analyser);
      } else {
        context.createMediaElementSource(element).connect(analyser);
        analyser.connect(context.destination);
      }
      await context.resume();
      if (from === 'element') await element.play();
      const bins = new Float32Array(analyser.frequencyBinCount);
      const peaks: number[] = [];
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        analyser.getFloatFrequencyData(bins);
        let best = 4;
        for (let b = 4; b < bins.length; b++)
          if ((bins[b] ?? -Infinity) > (bins[best] ?? -Infinity)) best = b;
        if ((bins[best] ?? -Infinity) > -90)
          peaks.push((best * context.sampleRate) / analyser.fftSize);
      }
      if (from === 'element') element.pause();
      await context.close();
      peaks.sort((a, b) => a - b);
      return peaks[Math.floor(peaks.length / 2)] ?? 0;
    },
    [selector, source] as const,
  );
}

/** Decoded frames of the video in `selector` so far. */
export async function decodedFrames(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const video = document.querySelector<HTMLVideoElement>(sel);
    return video ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
  }, selector);
}

/** The remote audio track the page plays now, and whether media arrives on it. */
function remoteAudio(page: Page): Promise<{ id: string; flowing: boolean } | null> {
  return page.evaluate(() => {
    const element = document.querySelector<HTMLAudioElement>('#remote-media audio');
    const track =
      element?.srcObject instanceof MediaStream ? element.srcObject.getAudioTracks()[0] : undefined;
    return track ? { id: track.id, flowing: track.readyState === 'live' && !track.muted } : null;
  });
}

/** Resolves with the time a new remote audio track (not `oldId`) carries media. */
async function newAudioFlowing(page: Page, oldId: string | undefined): Promise<number> {
  for (;;) {
    const now = await remoteAudio(page);
    if (now && now.id !== oldId && now.flowing) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Kills what carries a call between two pages (`kill`: a worker, a node)
 * and resolves, for each, when a new remote audio track carries media again
 * (epoch ms).
 */
export async function killAndAwaitAudio(
  [first, second]: [Page, Page],
  kill: () => unknown,
): Promise<{ killedAt: number; flowing: Promise<[number, number]> }> {
  const before = await Promise.all([remoteAudio(first), remoteAudio(second)]);
  const killedAt = Date.now();
  await kill();
  const flowing = Promise.all([
    newAudioFlowing(first, before[0]?.id),
    newAudioFlowing(second, before[1]?.id),
  ]);
  return { killedAt, flowing };
}
