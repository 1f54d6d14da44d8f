// The ringback a caller hears while the sender's devices (or phone) ring,
// made in the page with Web Audio: nothing is fetched, nothing crosses the
// network. The North American audible ring (the Precise Tone Plan's, also
// listed in ITU-T E.180's national tables): 440 Hz + 480 Hz together, 2 s
// on, 4 s off. Chosen
// over ETSI's 425 Hz 1 s on / 4 s off because the page's callers are
// anywhere and this is the ring most people know (films, TV, most softphones),
// its two tones beating at 40 Hz make it unmistakably "ringing" rather than a
// test tone on a laptop speaker, and its 2 s burst is heard at once when the
// caller presses Call. The gain follows the cadence on the audio clock, so a
// busy page cannot stretch or skip a burst.
//
// A page that must not ring back (it answers the sender's call-back) simply
// never starts it.

const TONES_HZ = [440, 480] as const;
const ON_S = 2;
const CADENCE_S = 6;
/** Each tone's level; two together stay below a comfortable listening level. */
const LEVEL = 0.06;
/** Bursts are scheduled this far ahead on the audio clock. */
const SCHEDULE_AHEAD_S = CADENCE_S * 2;
/** Ramps at the burst's edges, so they do not click. */
const EDGE_S = 0.01;

export class Ringback {
  #context: AudioContext | undefined;
  #playing: { oscillators: OscillatorNode[]; gain: GainNode; timer: number } | undefined;

  get playing(): boolean {
    return this.#playing !== undefined;
  }

  start(): void {
    if (this.#playing) return;
    const context = (this.#context ??= new AudioContext());
    void context.resume();
    const gain = context.createGain();
    gain.gain.value = 0;
    gain.connect(context.destination);
    const oscillators = TONES_HZ.map((hz) => {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = hz;
      oscillator.connect(gain);
      oscillator.start();
      return oscillator;
    });
    let next = context.currentTime + 0.05;
    const schedule = (): void => {
      while (next < context.currentTime + SCHEDULE_AHEAD_S) {
        gain.gain.setValueAtTime(0, next);
        gain.gain.linearRampToValueAtTime(LEVEL, next + EDGE_S);
        gain.gain.setValueAtTime(LEVEL, next + ON_S - EDGE_S);
        gain.gain.linearRampToValueAtTime(0, next + ON_S);
        next += CADENCE_S;
      }
    };
    schedule();
    const timer = window.setInterval(schedule, (CADENCE_S * 1000) / 2);
    this.#playing = { oscillators, gain, timer };
  }

  /** Silent at once: at answer, at "leave a message", at hang-up. */
  stop(): void {
    const playing = this.#playing;
    if (!playing) return;
    this.#playing = undefined;
    window.clearInterval(playing.timer);
    playing.gain.gain.cancelScheduledValues(0);
    playing.gain.gain.value = 0;
    for (const oscillator of playing.oscillators) {
      oscillator.stop();
      oscillator.disconnect();
    }
    playing.gain.disconnect();
  }
}
