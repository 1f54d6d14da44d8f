// Sine-tone WAV files made with sox, for fake microphones.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = path.join(os.tmpdir(), 'voxreply-tones');

export function toneWav(hz: number, seconds = 30): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `tone-${hz}hz-${seconds}s.wav`);
  if (!existsSync(file)) {
    execFileSync('sox', [
      '-n',
      '-r',
      '48000',
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
