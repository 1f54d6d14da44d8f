// "Leave a voice message" on the reply page when nobody answered: records in
// the browser with opus-recorder (Ogg/Opus, loaded only now), shows a level
// meter and the time, lets the caller listen back, record again, and send.
// The upload carries a key chosen per recording, so a retry after a dropped
// connection stores one message; "Message sent" shows only once the server
// has it on disk.
import type { ErrorBody } from '../../protocol/errors.js';
import { REQUEST_HEADER } from '../../protocol/http.js';
import { byId, formatDuration, show } from '../shared/dom.js';

/** Opus's VOIP application: tuned for speech. */
const OPUS_VOICE = 2048;

interface Recording {
  stop(): Promise<Blob>;
}

export class VoiceMessage {
  readonly #token: string;
  readonly #maxSeconds: number;
  readonly #callerName: () => string;
  readonly #ui = {
    section: byId('voicemail'),
    offer: byId<HTMLButtonElement>('vm-offer'),
    recorder: byId('vm-recorder'),
    record: byId<HTMLButtonElement>('vm-record'),
    level: byId<HTMLMeterElement>('vm-level'),
    time: byId('vm-time'),
    playback: byId<HTMLAudioElement>('vm-playback'),
    again: byId<HTMLButtonElement>('vm-again'),
    send: byId<HTMLButtonElement>('vm-send'),
    status: byId('vm-status'),
  };
  #recording: Recording | undefined;
  /** The microphone and encoder are being started (a second click must wait). */
  #starting = false;
  #recorded: { audio: Blob; key: string } | undefined;
  #callId: string | undefined;

  constructor(token: string, maxSeconds: number, callerName: () => string) {
    this.#token = token;
    this.#maxSeconds = maxSeconds;
    this.#callerName = callerName;
    const ui = this.#ui;
    ui.offer.addEventListener('click', () => {
      show(ui.offer, false);
      show(ui.recorder, true);
      ui.record.focus();
    });
    ui.record.addEventListener('click', () => void this.#toggleRecording());
    ui.again.addEventListener('click', () => void this.#toggleRecording());
    ui.send.addEventListener('click', () => void this.#send());
  }

  /** Nobody answered the call `callId`: offer a message. */
  offer(callId: string | undefined): void {
    if (this.#recording) return; // already recording after an earlier call
    const ui = this.#ui;
    this.#callId = callId;
    this.#recorded = undefined;
    // A fresh start each time: a second missed call may leave a second message.
    show(ui.offer, true);
    show(ui.recorder, false);
    for (const element of [ui.playback, ui.again, ui.send]) show(element, false);
    show(ui.record, true);
    ui.record.textContent = 'Record';
    ui.send.disabled = false;
    ui.again.disabled = false;
    ui.status.textContent = '';
    ui.time.textContent = '';
    show(ui.section, true);
  }

  async #toggleRecording(): Promise<void> {
    const ui = this.#ui;
    if (this.#recording) {
      const recording = this.#recording;
      this.#recording = undefined;
      // One key per recording: every try to send it names the same message.
      this.#recorded = { audio: await recording.stop(), key: uploadKey() };
      ui.playback.src = URL.createObjectURL(this.#recorded.audio);
      ui.record.textContent = 'Record';
      show(ui.record, false);
      for (const element of [ui.playback, ui.again, ui.send]) show(element, true);
      ui.send.focus();
      return;
    }
    if (this.#starting) return;
    this.#starting = true;
    ui.record.disabled = true;
    this.#recorded = undefined;
    for (const element of [ui.playback, ui.again, ui.send]) show(element, false);
    show(ui.record, true);
    ui.status.textContent = '';
    try {
      this.#recording = await startRecording(ui.level, (seconds) => {
        ui.time.textContent = `${formatDuration(seconds)} / ${formatDuration(this.#maxSeconds)}`;
        if (seconds >= this.#maxSeconds && this.#recording) void this.#toggleRecording();
      });
      ui.record.textContent = 'Stop';
    } catch (error) {
      ui.status.textContent = `Cannot record: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.#starting = false;
      ui.record.disabled = false;
    }
  }

  async #send(): Promise<void> {
    const ui = this.#ui;
    const recorded = this.#recorded;
    if (!recorded) return;
    ui.send.disabled = true;
    ui.again.disabled = true;
    ui.status.textContent = 'Sending…';
    const query = new URLSearchParams({
      callerName: this.#callerName(),
      key: recorded.key,
      ...(this.#callId ? { callId: this.#callId } : {}),
    });
    const url = `/api/reply/${encodeURIComponent(this.#token)}/voicemail?${query}`;
    const body = new Uint8Array(await recorded.audio.arrayBuffer());
    // A dropped connection is retried with the same key: one message either way.
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'audio/ogg', [REQUEST_HEADER]: '1' },
          body,
        });
        if (response.ok) {
          ui.status.textContent = 'Message sent';
          show(ui.recorder, false);
          return;
        }
        const problem = ((await response.json()) as ErrorBody).error.message;
        if (response.status < 500) {
          ui.status.textContent = `Not sent: ${problem}`;
          ui.again.disabled = false;
          // Too many tries for now: the same recording may be sent a little later.
          ui.send.disabled = response.status !== 429;
          return;
        }
        throw new Error(problem);
      } catch (error) {
        if (attempt >= 4) {
          ui.status.textContent = `Not sent: ${error instanceof Error ? error.message : String(error)}. Try again.`;
          ui.send.disabled = false;
          ui.again.disabled = false;
          return;
        }
        ui.status.textContent = 'Sending… (retrying)';
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
  }
}

/** 128 random bits, base64url: the upload's key. */
function uploadKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** Starts the microphone, the level meter and the Ogg/Opus encoder. */
async function startRecording(
  level: HTMLMeterElement,
  onSecond: (seconds: number) => void,
): Promise<Recording> {
  const [{ default: Recorder }, { default: encoderPath }] = await Promise.all([
    import('opus-recorder'),
    import('opus-recorder/dist/encoderWorker.min.js?url'),
  ]);
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  try {
    return await recordFrom(stream, Recorder, encoderPath, level, onSecond);
  } catch (error) {
    // Never leave the microphone on after a failed start.
    for (const track of stream.getTracks()) track.stop();
    throw error;
  }
}

async function recordFrom(
  stream: MediaStream,
  Recorder: typeof import('opus-recorder').default,
  encoderPath: string,
  level: HTMLMeterElement,
  onSecond: (seconds: number) => void,
): Promise<Recording> {
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const recorder = new Recorder({
    encoderPath,
    sourceNode: source,
    numberOfChannels: 1,
    encoderApplication: OPUS_VOICE,
    streamPages: false,
  });
  const data = new Promise<Blob>((resolve) => {
    recorder.ondataavailable = (bytes) => resolve(new Blob([bytes], { type: 'audio/ogg' }));
  });
  await recorder.start();

  const started = performance.now();
  const samples = new Float32Array(analyser.fftSize);
  let frame = 0;
  const meter = () => {
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / samples.length);
    level.value = Math.min(1, rms * 4);
    frame = requestAnimationFrame(meter);
  };
  meter();
  onSecond(0);
  const clock = window.setInterval(
    () => onSecond(Math.floor((performance.now() - started) / 1000)),
    250,
  );

  const release = () => {
    cancelAnimationFrame(frame);
    window.clearInterval(clock);
    level.value = 0;
    for (const track of stream.getTracks()) track.stop();
    void context.close();
  };
  return {
    async stop() {
      await recorder.stop();
      release();
      return data;
    },
  };
}
