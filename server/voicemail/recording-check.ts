// What a voice message upload must be: Ogg/Opus (what opus-recorder makes),
// complete (its last page ends the stream) and no longer than allowed.
// music-metadata reads the container and codec headers and the duration.
import { parseBuffer } from 'music-metadata';

export type RecordingProblem = 'not_ogg_opus' | 'incomplete' | 'too_long';

export class RecordingError extends Error {
  constructor(
    readonly problem: RecordingProblem,
    message: string,
  ) {
    super(message);
    this.name = 'RecordingError';
  }
}

/** Ogg page header: "OggS", version, then the header-type flags (RFC 3533). */
const OGG_CAPTURE = Buffer.from('OggS');
const END_OF_STREAM = 0x04;

/** The recording's length in milliseconds, or a RecordingError saying what is wrong. */
export async function checkRecording(bytes: Buffer, maxSeconds: number): Promise<number> {
  if (!bytes.subarray(0, 4).equals(OGG_CAPTURE))
    throw new RecordingError('not_ogg_opus', 'the recording is not Ogg/Opus audio');
  const { format } = await parseBuffer(bytes, { mimeType: 'audio/ogg' }, { duration: true }).catch(
    () => {
      throw new RecordingError('not_ogg_opus', 'the recording is not Ogg/Opus audio');
    },
  );
  if (format.container !== 'Ogg' || format.codec !== 'Opus')
    throw new RecordingError('not_ogg_opus', 'the recording is not Ogg/Opus audio');
  // A cut-off recording lacks its final page; music-metadata would still guess a length.
  const lastPage = bytes.lastIndexOf(OGG_CAPTURE);
  const flags = bytes[lastPage + 5] ?? 0;
  if (!(flags & END_OF_STREAM) || !format.duration || format.duration <= 0)
    throw new RecordingError('incomplete', 'the recording is incomplete: record it again');
  if (format.duration > maxSeconds + 1)
    throw new RecordingError('too_long', `the recording is longer than ${spoken(maxSeconds)}`);
  return Math.round(format.duration * 1000);
}

/** "5 minutes", "90 seconds", "1 minute 30 seconds". */
function spoken(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (minutes === 0) return unit(rest, 'second');
  return rest === 0
    ? unit(minutes, 'minute')
    : `${unit(minutes, 'minute')} ${unit(rest, 'second')}`;
}
