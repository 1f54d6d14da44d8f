// Taking the reply page's call back after its connection dropped or the node
// running the call died (ADR 016): the call waits in `reconnecting`, the page
// sends call:resume with the token only it holds once it is connected again,
// and the server says where the call stands (call:progress: connected since…,
// or ringing). A call without a token (a joined group call, a single node) has
// nothing to take back: it ends.
import type { JoinRoomResult } from '../../protocol/media.js';
import { ackWithin } from '../shared/ack.js';
import type { CallController } from '../shared/call-controller.js';
import type { VoxClientSocket } from '../shared/connection.js';

/** How long a resume may take (a takeover sets up a new room). */
const RESUME_ANSWER_MS = 10_000;

/**
 * How long a call waits for the connection to come back (its node died, the
 * network dropped): no longer than the desk's node waits for a dead node's
 * call to be taken over (its 15 s heartbeat).
 */
const RECONNECT_GRACE_MS = 15_000;

const LOST = 'Connection lost: call ended';

/** What resuming needs of the page's call. */
export interface ResumableCall {
  id: string;
  /** Proves this page placed the call (absent: the call cannot be taken back). */
  resumeToken?: string;
  session: { moveTo(joined: JoinRoomResult): void };
}

/** What the page shows while it resumes, and how it ends a call it cannot take back. */
export interface ResumptionView {
  status(text: string): void;
  end(text: string): void;
}

export class CallResumption<Call extends ResumableCall> {
  readonly #socket: VoxClientSocket;
  readonly #calls: CallController<Call>;
  readonly #view: ResumptionView;
  /** While the connection is down in a call: gives up on the call when it fires. */
  #giveUp: number | undefined;
  /** A call:resume is on its way: one at a time (a reconnect and call:lost may both ask). */
  #resuming = false;

  constructor(socket: VoxClientSocket, calls: CallController<Call>, view: ResumptionView) {
    this.#socket = socket;
    this.#calls = calls;
    this.#view = view;
    // Back in the call, or out of it: nothing left to give up on.
    calls.on('stateChanged', ({ state }) => {
      if (state !== 'reconnecting') this.#stopWaiting();
    });
    socket.on('disconnect', () => this.#connectionLost());
    socket.on('connect', () => {
      if (calls.state === 'reconnecting') this.#resume();
    });
    // The node running the call went away while this page's own connection stayed up.
    socket.on('call:lost', ({ callId }) => {
      if (callId === calls.call?.id) this.#resume();
    });
  }

  #connectionLost(): void {
    const call = this.#calls.call;
    if (!call) return;
    if (!call.resumeToken) return this.#view.end(LOST);
    // The call may go on through another node once the page reconnects.
    this.#view.status('Connection lost, reconnecting…');
    if (this.#calls.state !== 'reconnecting' && !this.#calls.transition('reconnecting')) return;
    this.#giveUp ??= window.setTimeout(() => this.#view.end(LOST), RECONNECT_GRACE_MS);
  }

  /** Takes the call back, wherever it runs now (another node takes it over if its own died). */
  #resume(): void {
    const current = this.#calls.call;
    if (!current?.resumeToken || this.#resuming) return;
    if (this.#calls.state !== 'reconnecting' && !this.#calls.transition('reconnecting')) return;
    this.#resuming = true;
    this.#view.status('Reconnecting the call…');
    const request = { callId: current.id, resumeToken: current.resumeToken };
    void ackWithin(this.#socket.emitWithAck('call:resume', request), RESUME_ANSWER_MS)
      .then((ack) => {
        if (this.#calls.call !== current) return;
        if (!ack.ok) return this.#view.end(LOST);
        this.#stopWaiting();
        // The server says where the call stands next (call:progress moves the state on).
        current.session.moveTo(ack.data.media);
      })
      .catch(() => {
        // No answer: if the connection dropped again, its return asks again.
        if (this.#calls.call === current && this.#socket.connected) this.#view.end(LOST);
      })
      .finally(() => (this.#resuming = false));
  }

  #stopWaiting(): void {
    window.clearTimeout(this.#giveUp);
    this.#giveUp = undefined;
  }
}
