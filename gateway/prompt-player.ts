// Plays a rendered announcement into a phone leg as RTP: 20 ms packets, paced
// by the clock (each packet due at start + n × 20 ms, so timer lateness does
// not add up), repeated with a pause between. The leg keeps the packets in
// the stream it sends the phone (media/phone-stream.ts).

/** Bytes in 20 ms of G.711 or G.722 (both 64 kbit/s); 160 RTP timestamp units too. */
const FRAME_BYTES = 160;
const FRAME_SAMPLES = 160;
const FRAME_MS = 20;

export interface PromptTarget {
  /** One packet of audio; false when it could not go out (nowhere to send yet). */
  sendAudio(payload: Buffer, samples: number, first: boolean): boolean;
}

export interface PromptPlayback {
  /** Resolves when every repetition has played (or the playback was stopped). */
  done: Promise<void>;
  stop(): void;
}

export function playPrompt(
  target: PromptTarget,
  audio: Buffer,
  options: { times: number; pauseMs: number },
): PromptPlayback {
  const frames = Math.floor(audio.length / FRAME_BYTES);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
    finished();
  };
  const playOnce = (round: number): void => {
    const start = Date.now();
    let frame = 0;
    const tick = (): void => {
      if (stopped) return;
      const offset = frame * FRAME_BYTES;
      target.sendAudio(audio.subarray(offset, offset + FRAME_BYTES), FRAME_SAMPLES, frame === 0);
      frame += 1;
      if (frame >= frames) {
        if (round + 1 >= options.times) return stop();
        timer = setTimeout(() => playOnce(round + 1), FRAME_MS + options.pauseMs);
        return;
      }
      timer = setTimeout(tick, Math.max(0, start + frame * FRAME_MS - Date.now()));
    };
    tick();
  };
  if (frames === 0 || options.times <= 0) stop();
  else playOnce(0);
  return { done, stop };
}
