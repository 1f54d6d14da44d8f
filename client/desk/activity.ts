// Activity beats from real input (keyboard, pointer, touch), focus and
// visibility: at most one every BEAT_MS while in use, and one at once when the
// device goes from idle to active (docs/design.md, "Ranking").
import type { ActivityBeat } from '../../protocol/presence.js';

const BEAT_MS = 5_000;
const IDLE_AFTER_MS = 60_000;

export function trackActivity(send: (beat: ActivityBeat) => void): () => void {
  let lastInput: number | null = null;
  let lastSent = 0;
  let pending: number | undefined;

  const beat = (): void => {
    pending = undefined;
    if (lastInput === null) return;
    lastSent = Date.now();
    send({
      idleMs: Date.now() - lastInput,
      focused: document.hasFocus(),
      visible: document.visibilityState === 'visible',
    });
  };
  const onInput = (): void => {
    const wasIdle = lastInput === null || Date.now() - lastInput > IDLE_AFTER_MS;
    lastInput = Date.now();
    if (wasIdle) {
      window.clearTimeout(pending);
      beat();
    } else if (pending === undefined) {
      pending = window.setTimeout(beat, Math.max(0, BEAT_MS - (Date.now() - lastSent)));
    }
  };
  const onFocusChange = (): void => {
    if (pending === undefined) pending = window.setTimeout(beat, 250);
  };

  const inputs = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
  for (const name of inputs)
    window.addEventListener(name, onInput, { passive: true, capture: true });
  window.addEventListener('focus', onFocusChange);
  window.addEventListener('blur', onFocusChange);
  document.addEventListener('visibilitychange', onFocusChange);
  return () => {
    for (const name of inputs) window.removeEventListener(name, onInput, { capture: true });
    window.removeEventListener('focus', onFocusChange);
    window.removeEventListener('blur', onFocusChange);
    document.removeEventListener('visibilitychange', onFocusChange);
    window.clearTimeout(pending);
  };
}
