// A voice message's length is measured from the Opus stream, not taken from
// what the file declares (issue 16, web surface 4). Real opusenc recordings,
// relabelled with real byte edits (one flag bit, one or all granule positions,
// CRCs fixed so every Ogg reader takes them): none passes as shorter than it is.
// Then a seeded fuzz of the page parser with random header edits and bytes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../protocol/errors.js';
import { measureOggOpus, OggOpusError } from '../../server/voicemail/ogg-opus.js';
import { checkRecording, RecordingError } from '../../server/voicemail/recording-check.js';
import { editPage, fixCrcs, oggPages, opusToneWith, preSkipOf } from '../support/ogg-edits.js';
import { opusTone } from '../support/opus-files.js';
import { createLink, signUp } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

const RATE = 48_000;
// 400 s at 6 kbit/s: small enough for the upload limit of a 10 s maximum.
const long = opusToneWith(400, ['--bitrate', '6', '--comp', '0']);
const short = opusTone(2);
const preSkip = preSkipOf(long);
const pages = oggPages(long);

/** Relabellings of the 400 s file that music-metadata read as about 10 s. */
const relabelled: Record<string, Buffer> = {
  // End-of-stream flag on the page at 10 s: a reader that stops there sees 10 s.
  'end-of-stream flag at 10 s': (() => {
    const at = pages.findIndex((page) => page.granule >= BigInt(preSkip + 10 * RATE));
    return editPage(long, at, { flags: (pages[at]?.flags ?? 0) | 0x04 });
  })(),
  // The last page's granule position says 10 s.
  'last granule says 10 s': editPage(long, pages.length - 1, {
    granule: BigInt(preSkip + 10 * RATE),
  }),
  // Every granule position scaled down by 40: consistent, and still a lie.
  'every granule scaled to 10 s': pages.reduce(
    (file, page, index) =>
      page.granule > 0n ? editPage(file, index, { granule: page.granule / 40n }) : file,
    long,
  ),
};

async function problemOf(bytes: Buffer, maxSeconds: number): Promise<string> {
  try {
    return `ok ${await checkRecording(bytes, maxSeconds)}`;
  } catch (error) {
    if (error instanceof RecordingError) return error.problem;
    throw error;
  }
}

describe('the length of a voice message', () => {
  it('is measured exactly for real recordings', async () => {
    expect(measureOggOpus(long).samples).toBe(400 * RATE);
    // The consistent lie is measured by its packets.
    const scaled = measureOggOpus(relabelled['every granule scaled to 10 s'] ?? long);
    expect(scaled.countedSamples).toBeGreaterThanOrEqual(400 * RATE);
    expect(scaled.samples).toBeGreaterThanOrEqual(400 * RATE);
    expect(await checkRecording(short, 10)).toBe(2000);
    // Every frame size opusenc makes (2.5 ms to 60 ms packets).
    for (const frame of ['2.5', '5', '10', '40', '60']) {
      const file = opusToneWith(3, ['--framesize', frame, '--comp', '0']);
      expect(await checkRecording(file, 10), `${frame} ms frames`).toBe(3000);
    }
  });

  for (const [name, file] of Object.entries(relabelled)) {
    it(`is not fooled by a relabelled file: ${name}`, async () => {
      // Too long, or (a page after the end, granules going backwards) not a
      // well-formed stream: either way not stored.
      expect(['too_long', 'not_ogg_opus']).toContain(await problemOf(file, 10));
    });
  }

  it('still refuses what is cut off or not Ogg/Opus', async () => {
    expect(await problemOf(short.subarray(0, Math.floor(short.length * 0.6)), 10)).toBe(
      'incomplete',
    );
    const lastPage = oggPages(short).at(-1);
    expect(
      await problemOf(editPage(short, oggPages(short).length - 1, { flags: 0 }), 10),
      `last page flags ${lastPage?.flags}`,
    ).toBe('incomplete');
    expect(await problemOf(Buffer.from('OggS not really'), 10)).toBe('not_ogg_opus');
    // Two streams back to back (a chained file): the second is never looked at by a
    // reader that stops at the first end-of-stream.
    expect(await problemOf(Buffer.concat([short, long]), 10)).toBe('not_ogg_opus');
  });

  it('survives random edits: refused with a typed problem, or never shorter than the audio (seeded fuzz)', () => {
    const medium = opusToneWith(30, ['--bitrate', '6', '--comp', '0']);
    const mediumPages = oggPages(medium);
    const truth = 30 * RATE;
    const headerEdit = fc.record({
      page: fc.nat({ max: mediumPages.length - 1 }),
      flags: fc.option(fc.nat({ max: 255 }), { nil: undefined }),
      granule: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), {
        nil: undefined,
      }),
    });
    // Header edits with CRCs fixed: what a careful liar sends.
    fc.assert(
      fc.property(fc.array(headerEdit, { minLength: 1, maxLength: 6 }), (edits) => {
        const file = edits.reduce((bytes, edit) => editPage(bytes, edit.page, edit), medium);
        try {
          expect(measureOggOpus(file).samples).toBeGreaterThanOrEqual(truth);
        } catch (error) {
          if (!(error instanceof OggOpusError)) throw error;
        }
      }),
      { seed: 1604, numRuns: 300 },
    );
    // Arbitrary byte damage (CRC fixed or not), truncation and garbage: a typed
    // problem or a length, never another exception.
    const damage = fc.record({
      at: fc.nat({ max: medium.length - 1 }),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      cut: fc.option(fc.nat({ max: medium.length }), { nil: undefined }),
      fix: fc.boolean(),
    });
    fc.assert(
      fc.property(damage, ({ at, bytes, cut, fix }) => {
        let file: Buffer = Buffer.from(medium);
        file.set(bytes.subarray(0, file.length - at), at);
        if (cut !== undefined) file = file.subarray(0, cut);
        if (fix) file = fixCrcs(file);
        try {
          measureOggOpus(file);
        } catch (error) {
          if (!(error instanceof OggOpusError)) throw error;
        }
      }),
      { seed: 1605, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const file = Buffer.concat([Buffer.from('OggS'), bytes]);
        expect(() => measureOggOpus(file)).toThrow(OggOpusError);
      }),
      { seed: 1606, numRuns: 300 },
    );
  });
});

describe('a relabelled upload to the built server', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT_MULTIPLIER: '100', VOICEMAIL_MAX_SECONDS: '10' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is refused as too long and not stored', async () => {
    const sender = await signUp(server.url);
    const link = await createLink(sender);
    // The consistent lie: only counting the audio packets catches it.
    const file = relabelled['every granule scaled to 10 s'] ?? Buffer.alloc(0);
    const query = new URLSearchParams({ callerName: 'Mallory', key: 'relabelled-upload-0001' });
    const response = await fetch(`${server.url}/api/reply/${link.token}/voicemail?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'audio/ogg' },
      body: new Uint8Array(file),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.message).toBe(
      'the recording is longer than 10 seconds',
    );
    expect(await (await sender.api('GET', '/api/voicemails')).json()).toEqual([]);
  });
});
