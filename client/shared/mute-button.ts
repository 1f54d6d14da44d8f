// A toggle button that mutes or unmutes one kind of the local media.
import type { MediaSession } from './media-session.js';

export function bindMuteButton(
  button: HTMLButtonElement,
  session: () => MediaSession | undefined,
  labels: { on: string; off: string } = { on: 'Mute', off: 'Unmute' },
  kind: 'audio' | 'video' = 'audio',
): void {
  button.addEventListener('click', () => {
    const current = session();
    if (!current?.hasTrack(kind)) return;
    const muted = button.getAttribute('aria-pressed') !== 'true';
    current.setMuted(kind, muted);
    button.setAttribute('aria-pressed', String(muted));
    button.textContent = muted ? labels.off : labels.on;
  });
}

/** Back to "not muted" for the next call. */
export function resetMuteButton(button: HTMLButtonElement, label = 'Mute'): void {
  button.setAttribute('aria-pressed', 'false');
  button.textContent = label;
}
