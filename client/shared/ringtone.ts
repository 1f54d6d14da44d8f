// A ringtone made with WebAudio (no file fetched): two-tone bursts, 2 s apart.
export class Ringtone {
  #context: AudioContext | undefined;
  #timer: number | undefined;

  start(): void {
    if (this.#timer !== undefined) return;
    this.#context ??= new AudioContext();
    const ring = () => this.#burst();
    ring();
    this.#timer = window.setInterval(ring, 3000);
  }

  stop(): void {
    window.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #burst(): void {
    const context = this.#context;
    if (!context) return;
    void context.resume();
    const gain = context.createGain();
    gain.gain.value = 0.08;
    gain.connect(context.destination);
    for (const [i, hz] of [480, 620].entries()) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = hz;
      oscillator.connect(gain);
      oscillator.start(context.currentTime + i * 0.4);
      oscillator.stop(context.currentTime + i * 0.4 + 0.35);
    }
  }
}
