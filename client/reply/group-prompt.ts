// Group replies on the reply page: when another recipient of the same email is
// talking with the sender, "Ada is talking with Grace. Join?"; when the sender
// invites this page, the same prompt rings.
import type { GroupCallState } from '../../protocol/group.js';
import { unwrap } from '../shared/ack.js';
import type { VoxClientSocket } from '../shared/connection.js';
import { byId, show } from '../shared/dom.js';
import { Ringtone } from '../shared/ringtone.js';

/** How long an invitation rings before it goes quiet (the prompt stays). */
const INVITATION_RINGS_MS = 30_000;

export class GroupPrompt {
  /** The person pressed Join. */
  onJoin: (callId: string, video: boolean) => void = () => undefined;
  /** A call became joinable, or stopped being so. */
  onChange: () => void = () => undefined;

  readonly #senderName: string;
  readonly #ringtone = new Ringtone();
  readonly #ui = {
    section: byId('group'),
    text: byId('group-text'),
    join: byId<HTMLButtonElement>('join'),
    dismiss: byId<HTMLButtonElement>('dismiss-invitation'),
  };
  /** Stops an invitation ringing on its own, as an unanswered call would. */
  #ringLimit: number | undefined;
  #state: GroupCallState | null = null;
  #invitedTo: string | undefined;
  #inCall = false;

  constructor(socket: VoxClientSocket, token: string, senderName: string) {
    this.#senderName = senderName;
    const watch = async () =>
      this.#update(unwrap(await socket.emitWithAck('group:watch', { token })));
    // Also after a reconnect: a new socket watches nothing.
    socket.on('connect', () => void watch().catch(() => this.#update(null)));
    if (socket.connected) void watch().catch(() => this.#update(null));
    socket.on('group:state', (state) => this.#update(state));
    socket.on('group:invited', (invitation) => {
      this.#invitedTo = invitation.callId;
      window.clearTimeout(this.#ringLimit);
      this.#ringLimit = window.setTimeout(() => this.#quiet(), INVITATION_RINGS_MS);
      this.#render();
    });
    this.#ui.join.addEventListener('click', () => {
      this.#ringtone.stop();
      const call = this.joinableCall;
      if (call) this.onJoin(call.callId, call.video);
    });
    this.#ui.dismiss.addEventListener('click', () => this.#quiet());
  }

  /** A call for this email is running and this page may join it. */
  get joinable(): boolean {
    return this.joinableCall !== undefined;
  }

  get joinableCall(): { callId: string; video: boolean } | undefined {
    const state = this.#state;
    if (this.#inCall || !state?.callId || !state.canJoin) return undefined;
    return { callId: state.callId, video: state.video };
  }

  setInCall(inCall: boolean): void {
    this.#inCall = inCall;
    if (inCall) this.#invitedTo = undefined;
    this.#render();
  }

  /** No more ringing; the prompt stays while the call runs. */
  #quiet(): void {
    this.#invitedTo = undefined;
    this.#render();
  }

  #update(state: GroupCallState | null): void {
    this.#state = state;
    if (state?.callId !== this.#invitedTo) this.#invitedTo = undefined;
    this.#render();
    this.onChange();
  }

  #render(): void {
    const state = this.#state;
    const joinable = this.joinable && state !== null;
    show(this.#ui.section, joinable);
    const invited = joinable && this.#invitedTo === state.callId;
    if (invited) this.#ringtone.start();
    else this.#ringtone.stop();
    show(this.#ui.dismiss, invited);
    if (!joinable) return;
    const names = listOf(state.talking);
    this.#ui.text.textContent = invited
      ? `${this.#senderName} invites you to join the call with ${names}.`
      : `${names} ${state.talking.length === 1 ? 'is' : 'are'} talking with ${this.#senderName} about this email. Join?`;
  }
}

/** "Ada", "Ada and Bob", "Ada, Bob and Cy". */
function listOf(names: string[]): string {
  if (names.length <= 1) return names[0] ?? 'Someone';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}
