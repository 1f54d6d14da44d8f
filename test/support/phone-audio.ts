// Checking tones on both ends of a call with a telephone: what a browser page
// plays (its analyser) and what baresip recorded (sox).
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { removeTelephoneFiles, startTelephone, type Telephone } from './baresip.js';
import { TOLERANCE_HZ } from './media-probe.js';
import { toneWav } from './tones.js';

/** What a telephone's microphone plays, and a browser's. */
export const PHONE_HZ = 440;
export const BROWSER_HZ = 880;
/** The sender's mobile, reached through a trunk. */
export const MOBILE_IP = '127.0.0.5';
export const MOBILE = '+15551234567';

/** The sender's mobile: baresip auto-answering on MOBILE_IP, its microphone at PHONE_HZ. */
export function startMobile(port: number, tlsCertificate?: string): Telephone {
  return startTelephone({
    ip: MOBILE_IP,
    port,
    number: MOBILE,
    microphoneWav: toneWav(PHONE_HZ, 30, 8000),
    ...(tlsCertificate ? { tlsCertificate } : {}),
  });
}

/** sox's report on a recording past its first second (sox writes it to stderr). */
function soxStat(file: string): string {
  return spawnSync('sox', [file, '-n', 'trim', '1', 'stat'], { encoding: 'utf8' }).stderr;
}

/** sox's estimate of a recording's frequency (zero crossings, so a coarser tolerance). */
function recordedFrequency(file: string): number {
  return Number(/Rough\s+frequency:\s+(\d+)/.exec(soxStat(file))?.[1] ?? Number.NaN);
}

/** The phone's recording of the call holds `hz`; stops the phone to flush it. */
export async function expectPhoneHeard(phone: Telephone, hz: number): Promise<void> {
  await expect.poll(() => phone.recordings().length, { timeout: 5000 }).toBeGreaterThan(0);
  const recording = phone.recordings()[0] ?? '';
  await phone.stop();
  const heard = recordedFrequency(recording);
  expect(Math.abs(heard - hz), soxStat(recording)).toBeLessThanOrEqual(TOLERANCE_HZ * 2);
  removeTelephoneFiles(recording);
}
