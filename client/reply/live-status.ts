// The sender's status on the reply page, kept live: the page watches it over
// its socket (status:watch with its token, again after every reconnect) and
// the server pushes each change (status:changed). Shown only as the sender
// allows: a hidden status reads "Call Ada.".
import type { SenderStatus } from '../../protocol/accounts.js';
import type { StatusWatched } from '../../protocol/callback.js';
import { unwrap } from '../shared/ack.js';
import type { VoxClientSocket } from '../shared/connection.js';

const STATUS_TEXT: Record<SenderStatus, string> = {
  available: 'available',
  busy: 'in another call',
  do_not_disturb: 'not taking calls right now',
  away: 'away',
  offline: 'offline',
};

export class LiveStatus {
  /** The status changed (null: the sender hides it). */
  onChange: (status: SenderStatus | null) => void = () => undefined;
  /** The watch was (re)established: what the server says about this link. */
  onWatched: (watched: StatusWatched) => void = () => undefined;

  readonly #line: HTMLElement;
  #senderName: string;
  #status: SenderStatus | null;

  constructor(
    socket: VoxClientSocket,
    token: string,
    line: HTMLElement,
    initial: { senderName: string; status: SenderStatus | null },
  ) {
    this.#line = line;
    this.#senderName = initial.senderName;
    this.#status = initial.status;
    this.#render();
    const watch = async (): Promise<void> => {
      const watched = unwrap(await socket.emitWithAck('status:watch', { token }));
      this.#set(watched.status);
      this.onWatched(watched);
    };
    // A new connection watches nothing: watch again after every reconnect.
    socket.on('connect', () => void watch().catch(() => undefined));
    if (socket.connected) void watch().catch(() => undefined);
    socket.on('status:changed', ({ status }) => this.#set(status));
  }

  get status(): SenderStatus | null {
    return this.#status;
  }

  #set(status: SenderStatus | null): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#render();
    this.onChange(status);
  }

  #render(): void {
    const status = this.#status;
    this.#line.dataset.senderStatus = status ?? 'hidden';
    this.#line.textContent = status
      ? `${this.#senderName} is ${STATUS_TEXT[status]}.`
      : `Call ${this.#senderName}.`;
  }
}
