// Sine-tone WAV files made with sox, for fake microphones.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = path.join(os.tmpdir(), 'voxreply-tones');

/** A mono 16-bit tone; 48 kHz for browsers, 8 kHz for telephones (baresip's aufile). */
export function toneWav(hz: number, seconds = 30, sampleRate = 48000): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `tone-${hz}hz-${seconds}s-${sampleRate}.wav`);
  if (!existsSync(file)) {
    execFileSync('sox', [
      '-n',
      '-r',
      String(sampleRate),
      '-c',
      '1',
      '-b',
      '16',
      file,
      'synth',
      String(seconds),
      'sine',
      String(hz),
      'vol',
      '0.5',
    ]);
  }
  return file;
}
