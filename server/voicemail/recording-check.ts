// What a voice message upload must be: Ogg/Opus (what opus-recorder makes),
// complete (its last page ends the stream) and no longer than allowed. The
// length is measured from the stream (ogg-opus.ts), never taken from a header:
// a file may declare anything.
import { measureOggOpus, OggOpusError } from './ogg-opus.js';

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

const OPUS_RATE = 48_000;

/** The recording's length in milliseconds, or a RecordingError saying what is wrong. */
export async function checkRecording(bytes: Buffer, maxSeconds: number): Promise<number> {
  // Async so every refusal is a rejection (the service catches them as such);
  // the parse is synchronous and bounded by the upload limit.
  await Promise.resolve();
  let samples: number;
  try {
    samples = measureOggOpus(bytes).samples;
  } catch (error) {
    if (!(error instanceof OggOpusError)) throw error;
    throw error.problem === 'incomplete'
      ? new RecordingError('incomplete', 'the recording is incomplete: record it again')
      : new RecordingError('not_ogg_opus', 'the recording is not Ogg/Opus audio');
  }
  if (samples <= 0)
    throw new RecordingError('incomplete', 'the recording is incomplete: record it again');
  // A second of slack: the recorder stops a moment after its timer.
  if (samples > (maxSeconds + 1) * OPUS_RATE)
    throw new RecordingError('too_long', `the recording is longer than ${spoken(maxSeconds)}`);
  return Math.round((samples / OPUS_RATE) * 1000);
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
