// Byte edits on real Ogg/Opus files, as someone relabelling a recording would
// make them: change a page's flags or granule position and fix its CRC so any
// Ogg reader still takes the file. Written apart from the server's parser (a
// plain walk over RFC 3533 page headers) so the tests do not trust what they test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toneWav } from './tones.js';

export interface OggPage {
  offset: number;
  length: number;
  flags: number;
  granule: bigint;
}

/** A tone encoded by opusenc with extra options (e.g. a low bit rate for long files). */
export function opusToneWith(seconds: number, options: string[], hz = 440): Buffer {
  const opus = path.join(mkdtempSync(path.join(os.tmpdir(), 'voxreply-opus-')), 'tone.opus');
  execFileSync('opusenc', ['--quiet', ...options, toneWav(hz, seconds), opus]);
  return readFileSync(opus);
}

export function oggPages(file: Buffer): OggPage[] {
  const pages: OggPage[] = [];
  let offset = 0;
  while (offset + 27 <= file.length && file.toString('latin1', offset, offset + 4) === 'OggS') {
    const segments = file[offset + 26] ?? 0;
    let body = 0;
    for (let i = 0; i < segments; i++) body += file[offset + 27 + i] ?? 0;
    const length = 27 + segments + body;
    pages.push({
      offset,
      length,
      flags: file[offset + 5] ?? 0,
      granule: file.readBigInt64LE(offset + 6),
    });
    offset += length;
  }
  return pages;
}

/** Ogg CRC-32 (poly 0x04c11db7, unreflected, init 0) with the CRC field as zeros. */
function crc(page: Buffer): number {
  let value = 0;
  for (let i = 0; i < page.length; i++) {
    value ^= (i >= 22 && i < 26 ? 0 : (page[i] ?? 0)) << 24;
    for (let bit = 0; bit < 8; bit++)
      value = value & 0x80000000 ? (value << 1) ^ 0x04c11db7 : value << 1;
    value >>>= 0;
  }
  return value;
}

/** A copy of the file with one page's flags and/or granule changed, CRC fixed. */
export function editPage(
  file: Buffer,
  index: number,
  edit: { flags?: number; granule?: bigint },
): Buffer {
  const page = oggPages(file)[index];
  if (!page) throw new Error(`no page ${index}`);
  const out = Buffer.from(file);
  if (edit.flags !== undefined) out[page.offset + 5] = edit.flags;
  if (edit.granule !== undefined) out.writeBigInt64LE(edit.granule, page.offset + 6);
  const bytes = out.subarray(page.offset, page.offset + page.length);
  out.writeUInt32LE(crc(bytes), page.offset + 22);
  return out;
}

/** Re-checksums every page (after edits made directly in the bytes). */
export function fixCrcs(file: Buffer): Buffer {
  const out = Buffer.from(file);
  for (const page of oggPages(out))
    out.writeUInt32LE(crc(out.subarray(page.offset, page.offset + page.length)), page.offset + 22);
  return out;
}

/** The pre-skip from the OpusHead packet on the first page. */
export function preSkipOf(file: Buffer): number {
  const first = oggPages(file)[0];
  if (!first) throw new Error('no pages');
  const segments = file[first.offset + 26] ?? 0;
  return file.readUInt16LE(first.offset + 27 + segments + 10);
}
