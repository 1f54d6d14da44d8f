// "Call me back when they're free" on the reply page (a personal link). The
// page offers it while the sender is busy or away, and after a call nobody
// answered. Asked, the page waits: when the sender becomes available it
// chimes and says "Ada is free now" with a Call button (and a notification,
// where the browser allows one); when the sender presses Call on the desk's
// request, the page rings, and Answer starts the call with the ring's ticket.
//
//   none ── busy / away / unanswered ──> offered ── pressed ──> waiting
//   waiting ── callback:free ──> free ── Call ──> (an ordinary call)
//   any ── callback:ring ──> ringing ── Answer ──> none (the call starts)
//   ringing ── Decline, or the ring lapses ──> where it was
import type { SenderStatus } from '../../protocol/accounts.js';
import type { CallbackRing } from '../../protocol/callback.js';
import type { VoxClientSocket } from '../shared/connection.js';
import { byId, show } from '../shared/dom.js';
import { Ringtone } from '../shared/ringtone.js';

type CallBackState = 'none' | 'offered' | 'waiting' | 'free' | 'ringing';

/** Statuses in which a caller may want to be called back later. */
const NOT_FREE: readonly (SenderStatus | null)[] = ['busy', 'away'];

export interface CallBackPage {
  senderName: () => string;
  /** The caller's name, or undefined after asking for it. */
  callerName: () => string | undefined;
  /** Answer pressed on the sender's call-back: start the call with this ticket. */
  answer: (ticket: string) => void;
  /** Call pressed on "free now": an ordinary call. */
  call: () => void;
}

export class CallBack {
  readonly #socket: VoxClientSocket;
  readonly #token: string;
  readonly #page: CallBackPage;
  readonly #ringtone = new Ringtone();
  readonly #ui = {
    section: byId('callback'),
    text: byId('callback-text'),
    offer: byId<HTMLButtonElement>('callback-offer'),
    call: byId<HTMLButtonElement>('callback-call'),
    answer: byId<HTMLButtonElement>('callback-answer'),
    decline: byId<HTMLButtonElement>('callback-decline'),
  };
  #state: CallBackState = 'none';
  /** Where a ring returns to when declined or lapsed. */
  #beforeRing: CallBackState = 'none';
  #ring: (CallbackRing & { timer: number }) | undefined;
  #offered = false;
  #inCall = false;

  constructor(socket: VoxClientSocket, token: string, page: CallBackPage) {
    this.#socket = socket;
    this.#token = token;
    this.#page = page;
    socket.on('callback:free', () => {
      if (this.#state !== 'waiting' && this.#state !== 'offered') return;
      this.#set('free');
      chime();
      notify(`${page.senderName()} is free now`, 'Call them back from the reply page.');
    });
    socket.on('callback:ring', (ring) => this.#rang(ring));
    const ui = this.#ui;
    ui.offer.addEventListener('click', () => void this.#request());
    ui.call.addEventListener('click', () => {
      this.#set('none');
      page.call();
    });
    ui.answer.addEventListener('click', () => {
      const ring = this.#endRing();
      this.#set('none');
      if (ring) page.answer(ring.ticket);
    });
    ui.decline.addEventListener('click', () => {
      this.#endRing();
      this.#set(this.#beforeRing);
    });
  }

  /** What the server said about this link when the page watched it. */
  watched(offered: boolean, waiting: boolean): void {
    this.#offered = offered;
    if (waiting && this.#state === 'none') this.#set('waiting');
  }

  /** The sender's status changed: busy or away offers a call-back. */
  statusChanged(status: SenderStatus | null): void {
    if (NOT_FREE.includes(status)) this.#offer();
    else if (this.#state === 'offered' && status === 'available') this.#set('none');
  }

  /** A call ended with nobody answering (no answer, busy, declined). */
  unanswered(): void {
    this.#offer();
  }

  /** While the page is in a call the section stays out of the way. */
  inCall(inCall: boolean): void {
    this.#inCall = inCall;
    this.#render();
  }

  #offer(): void {
    if (this.#offered && this.#state === 'none') this.#set('offered');
  }

  async #request(): Promise<void> {
    const callerName = this.#page.callerName();
    if (!callerName) return;
    this.#ui.offer.disabled = true;
    // Asked now, while the person's click allows the browser to ask.
    if ('Notification' in window && Notification.permission === 'default')
      void Notification.requestPermission().catch(() => undefined);
    try {
      const ack = await this.#socket.emitWithAck('callback:request', {
        token: this.#token,
        callerName,
      });
      if (!ack.ok) throw new Error(ack.error.message);
      this.#set('waiting');
    } catch (error) {
      this.#ui.text.textContent = error instanceof Error ? error.message : String(error);
    } finally {
      this.#ui.offer.disabled = false;
    }
  }

  #rang(ring: CallbackRing): void {
    if (this.#inCall) return;
    this.#endRing();
    if (this.#state !== 'ringing') this.#beforeRing = this.#state === 'none' ? 'none' : 'waiting';
    const lapse = Math.max(0, Date.parse(ring.expiresAt) - Date.now());
    const timer = window.setTimeout(() => {
      this.#endRing();
      this.#set(this.#beforeRing);
    }, lapse);
    this.#ring = { ...ring, timer };
    this.#set('ringing');
    this.#ringtone.start();
    notify(`${ring.senderName} is calling you back`, 'Answer on the reply page.');
  }

  #endRing(): CallbackRing | undefined {
    const ring = this.#ring;
    this.#ring = undefined;
    if (ring) window.clearTimeout(ring.timer);
    this.#ringtone.stop();
    return ring;
  }

  #set(state: CallBackState): void {
    this.#state = state;
    this.#render();
  }

  #render(): void {
    const ui = this.#ui;
    const name = this.#ring?.senderName ?? this.#page.senderName();
    const state = this.#state;
    ui.section.dataset.state = state;
    show(ui.section, state !== 'none' && !this.#inCall);
    show(ui.offer, state === 'offered');
    show(ui.call, state === 'free');
    show(ui.answer, state === 'ringing');
    show(ui.decline, state === 'ringing');
    const text: Record<CallBackState, string> = {
      none: '',
      offered: `${name} can call you back when they are free.`,
      waiting: `You asked ${name} to call you back. Keep this page open: it tells you when they are free.`,
      free: `${name} is free now.`,
      ringing: `${name} is calling you back…`,
    };
    ui.text.textContent = text[state];
  }
}

/** Two short rising notes: "free now". */
function chime(): void {
  try {
    const context = new AudioContext();
    const gain = context.createGain();
    gain.connect(context.destination);
    for (const [index, hz] of [660, 880].entries()) {
      const start = context.currentTime + index * 0.18;
      const oscillator = context.createOscillator();
      oscillator.frequency.value = hz;
      oscillator.connect(gain);
      gain.gain.setValueAtTime(0.08, start);
      gain.gain.exponentialRampToValueAtTime(0.001, start + 0.16);
      oscillator.start(start);
      oscillator.stop(start + 0.17);
    }
    window.setTimeout(() => void context.close(), 1000);
  } catch {
    // No audio: the words on the page say it.
  }
}

/** A system notification when the page is not in view and the browser allows it. */
function notify(title: string, body: string): void {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  if (document.visibilityState === 'visible') return;
  const notification = new Notification(title, { body, tag: 'voxreply-callback' });
  notification.addEventListener('click', () => {
    window.focus();
    notification.close();
  });
}
