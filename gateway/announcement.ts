// The announcement a forwarded phone hears before it is connected: "Call from
// Grace Hopper about Quarterly report. Press 1 to take it." Spoken by
// espeak-ng, encoded by ffmpeg to the leg's codec (raw G.711 or G.722 at
// 8,000 bytes a second), both child processes: the event loop never waits on
// them. Kept in a bounded cache by text and codec (the same caller about the
// same email, tried on several numbers, is rendered once).
import { spawn } from 'node:child_process';
import type { GatewayLogger } from './gateway-logger.js';

/** The codecs an announcement can be rendered to; others get none. */
export type PromptCodec = 'PCMU' | 'PCMA' | 'G722';

const FFMPEG_FORMATS: Record<PromptCodec, string[]> = {
  PCMU: ['-ar', '8000', '-c:a', 'pcm_mulaw', '-f', 'mulaw'],
  PCMA: ['-ar', '8000', '-c:a', 'pcm_alaw', '-f', 'alaw'],
  G722: ['-ar', '16000', '-c:a', 'g722', '-f', 'g722'],
};

export function promptCodec(name: string): PromptCodec | undefined {
  const upper = name.toUpperCase();
  return upper === 'PCMU' || upper === 'PCMA' || upper === 'G722' ? upper : undefined;
}

const MAX_NAME = 40;
const MAX_SUBJECT = 60;

/** What the phone hears; the name and subject cleaned of anything but words. */
export function announcementText(callerName: string, subject: string | null | undefined): string {
  const name = speakable(callerName, MAX_NAME) || 'a caller';
  const about = subject ? speakable(subject, MAX_SUBJECT) : '';
  return about
    ? `Call from ${name} about ${about}. Press 1 to take it.`
    : `Call from ${name}. Press 1 to take it.`;
}

/**
 * Plain words for espeak-ng: no controls, no markup it could read as
 * phonemes ([[ ]]) or SSML (< >), one line, at most `max` characters.
 */
function speakable(text: string, max: number): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f[\]<>{}\\|`^~]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, max)
      .trim()
  );
}

export interface AnnouncementsOptions {
  logger: GatewayLogger;
  /** Rendered announcements kept (by text and codec). */
  maxCached?: number;
  /** Renders running at once; more wait, up to `maxWaiting`, then fail. */
  maxRunning?: number;
  maxWaiting?: number;
  /** How long one render may take before its processes are killed. */
  timeoutMs?: number;
}

/** At 8,000 bytes a second (G.711, G.722): 30 s of audio at most. */
const MAX_BYTES = 30 * 8000;

export class Announcements {
  readonly #logger: GatewayLogger;
  readonly #maxCached: number;
  readonly #maxRunning: number;
  readonly #maxWaiting: number;
  readonly #timeoutMs: number;
  /** Rendered (or rendering) by key; insertion order is the eviction order. */
  readonly #cache = new Map<string, Promise<Buffer>>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: AnnouncementsOptions) {
    this.#logger = options.logger;
    this.#maxCached = options.maxCached ?? 64;
    this.#maxRunning = options.maxRunning ?? 4;
    this.#maxWaiting = options.maxWaiting ?? 64;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** How many are cached now (for tests and metrics). */
  get cached(): number {
    return this.#cache.size;
  }

  /** `text` spoken, as raw `codec` payload at 8,000 bytes a second. */
  render(text: string, codec: PromptCodec): Promise<Buffer> {
    const key = `${codec}\n${text}`;
    const hit = this.#cache.get(key);
    if (hit) {
      // Most recently used goes last.
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    const rendering = this.#queued(() => this.#render(text, codec));
    this.#cache.set(key, rendering);
    // A failure is not kept: the next call tries again.
    rendering.catch(() => {
      if (this.#cache.get(key) === rendering) this.#cache.delete(key);
    });
    while (this.#cache.size > this.#maxCached) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    return rendering;
  }

  async #queued(work: () => Promise<Buffer>): Promise<Buffer> {
    if (this.#running >= this.#maxRunning) {
      if (this.#waiting.length >= this.#maxWaiting) {
        throw new Error('too many announcements being rendered');
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running += 1;
    try {
      return await work();
    } finally {
      this.#running -= 1;
      this.#waiting.shift()?.();
    }
  }

  /** espeak-ng (text on stdin, WAV on stdout) piped into ffmpeg (raw codec out). */
  #render(text: string, codec: PromptCodec): Promise<Buffer> {
    const started = Date.now();
    return new Promise<Buffer>((resolve, reject) => {
      const speak = spawn('espeak-ng', ['--stdin', '--stdout', '-v', 'en-us', '-s', '150'], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      const encode = spawn(
        'ffmpeg',
        ['-hide_banner', '-loglevel', 'error', '-f', 'wav', '-i', 'pipe:0', '-ac', '1']
          .concat(FFMPEG_FORMATS[codec])
          .concat(['pipe:1']),
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      const chunks: Buffer[] = [];
      let bytes = 0;
      let errors = '';
      let done = false;
      const finish = (error: Error | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        speak.kill('SIGKILL');
        encode.kill('SIGKILL');
        if (error) return reject(error);
        const audio = Buffer.concat(chunks);
        this.#logger.debug(
          { codec, bytes: audio.length, ms: Date.now() - started },
          'announcement rendered',
        );
        resolve(audio);
      };
      const timer = setTimeout(
        () => finish(new Error(`rendering took over ${String(this.#timeoutMs)} ms`)),
        this.#timeoutMs,
      );
      for (const child of [speak, encode]) {
        child.once('error', (error) => finish(error));
        child.stdin.on('error', () => undefined); // a child that died early: its exit says so
      }
      speak.stdout.pipe(encode.stdin);
      encode.stdout.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_BYTES) return finish(new Error('the announcement is too long'));
        chunks.push(chunk);
      });
      encode.stderr.on('data', (chunk: Buffer) => {
        if (errors.length < 1000) errors += chunk.toString();
      });
      speak.once('exit', (code) => {
        if (code !== 0 && code !== null) finish(new Error(`espeak-ng exited ${String(code)}`));
      });
      encode.once('close', (code) => {
        if (code !== 0) return finish(new Error(`ffmpeg exited ${String(code)}: ${errors}`));
        if (bytes === 0) return finish(new Error('the announcement came out empty'));
        finish(undefined);
      });
      speak.stdin.end(text);
    });
  }
}
