// Ogg/Opus recordings for tests, made as a recorder makes them: a tone from
// sox, encoded by opusenc (opus-tools).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function opusTone(seconds: number, hz = 440): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-opus-'));
  const wav = path.join(dir, 'tone.wav');
  const opus = path.join(dir, 'tone.opus');
  execFileSync('sox', [
    '-n',
    '-r',
    '48000',
    '-b',
    '16',
    '-c',
    '1',
    wav,
    'synth',
    String(seconds),
    'sine',
    String(hz),
    'vol',
    '0.5',
  ]);
  execFileSync('opusenc', ['--quiet', wav, opus]);
  return readFileSync(opus);
}
