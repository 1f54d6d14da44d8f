// Ogg/Opus recordings for tests, made as a recorder makes them: a sox tone
// (the fake microphones' WAV), encoded by opusenc (opus-tools).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toneWav } from './tones.js';

export function opusTone(seconds: number, hz = 440): Buffer {
  const opus = path.join(mkdtempSync(path.join(os.tmpdir(), 'voxreply-opus-')), 'tone.opus');
  execFileSync('opusenc', ['--quiet', toneWav(hz, seconds), opus]);
  return readFileSync(opus);
}
