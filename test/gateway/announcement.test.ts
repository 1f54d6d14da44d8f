// The announcement a forwarded phone hears, made by the real espeak-ng and
// ffmpeg: speech in the leg's codec, checked with sox; cached by text and
// codec, within bounds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { announcementText, Announcements } from '../../gateway/announcement.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-announcement-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** sox's statistics of raw 8 kHz G.711 audio. */
function soxStats(audio: Buffer, type: 'ul' | 'al'): { seconds: number; rms: number } {
  const file = path.join(dir, `prompt.${type}`);
  writeFileSync(file, audio);
  const stat = spawnSync('sox', ['-t', type, '-r', '8000', '-c', '1', file, '-n', 'stat'], {
    encoding: 'utf8',
  }).stderr;
  const read = (name: string): number =>
    Number(new RegExp(`${name}:\\s+([0-9.]+)`).exec(stat)?.[1] ?? Number.NaN);
  return { seconds: read('Length \\(seconds\\)'), rms: read('RMS\\s+amplitude') };
}

describe('the announcement a phone hears before it takes a call', () => {
  it('names the caller and the email, in words only', () => {
    expect(announcementText('Grace Hopper', 'Quarterly report')).toBe(
      'Call from Grace Hopper about Quarterly report. Press 1 to take it.',
    );
    expect(announcementText('Grace Hopper', null)).toBe(
      'Call from Grace Hopper. Press 1 to take it.',
    );
    // espeak-ng would read [[...]] as phonemes and <...> as markup; controls end lines.
    expect(announcementText('[[h@-loU]] <b>Eve</b>\u0007', 'Re:\r\n  offer')).toBe(
      'Call from h@-loU b Eve /b about Re: offer. Press 1 to take it.',
    );
    expect(announcementText('   ', '')).toBe('Call from a caller. Press 1 to take it.');
    expect(announcementText('x'.repeat(500), 'y'.repeat(500)).length).toBeLessThan(220);
  });

  it('speaks it in PCMU and PCMA at 8 kHz, and G.722, once per text and codec', async () => {
    const announcements = new Announcements({ logger: pino({ level: 'silent' }) });
    const text = announcementText('Grace Hopper', 'Quarterly report');
    const [ulaw, alaw, g722] = await Promise.all([
      announcements.render(text, 'PCMU'),
      announcements.render(text, 'PCMA'),
      announcements.render(text, 'G722'),
    ]);
    for (const [audio, type] of [
      [ulaw, 'ul'],
      [alaw, 'al'],
    ] as const) {
      const stats = soxStats(audio, type);
      expect(stats.seconds).toBeGreaterThan(2);
      expect(stats.seconds).toBeLessThan(8);
      expect(stats.rms).toBeGreaterThan(0.02); // speech, not silence
    }
    // G.722 is 64 kbit/s too: about as many bytes as G.711 for the same speech.
    expect(Math.abs(g722.length - ulaw.length)).toBeLessThan(ulaw.length / 10);
    expect(announcements.cached).toBe(3);
    expect(await announcements.render(text, 'PCMU')).toBe(ulaw); // from the cache
  });

  it('keeps at most its bound, dropping the least recently used', async () => {
    const announcements = new Announcements({ logger: pino({ level: 'silent' }), maxCached: 2 });
    const a = await announcements.render('One.', 'PCMU');
    await announcements.render('Two.', 'PCMU');
    expect(await announcements.render('One.', 'PCMU')).toBe(a); // One is used again
    await announcements.render('Three.', 'PCMU');
    expect(announcements.cached).toBe(2);
    expect(await announcements.render('One.', 'PCMU')).toBe(a); // kept: Two went
  });

  it('refuses renders past its queue, without spawning them', async () => {
    const announcements = new Announcements({
      logger: pino({ level: 'silent' }),
      maxRunning: 1,
      maxWaiting: 1,
    });
    const results = await Promise.allSettled(
      ['A.', 'B.', 'C.'].map((text) => announcements.render(text, 'PCMU')),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(announcements.cached).toBe(2); // a failure is not kept
  });
});
