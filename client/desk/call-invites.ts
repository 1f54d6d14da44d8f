// In a call about a relayed email: the email's other recipients, each with
// "Invite" (their open reply page rings with "join the call").
import type { CallRecipient } from '../../protocol/group.js';
import { unwrap } from '../shared/ack.js';
import type { VoxClientSocket } from '../shared/connection.js';
import { byId, show } from '../shared/dom.js';

export class CallInvites {
  readonly #socket: VoxClientSocket;
  readonly #ui = {
    section: byId('call-invites'),
    list: byId<HTMLUListElement>('call-invite-list'),
    status: byId('call-invite-status'),
  };
  #callId: string | undefined;

  constructor(socket: VoxClientSocket) {
    this.#socket = socket;
    // Someone joined or left: who can still be invited changed.
    socket.on('call:participants', ({ callId }) => {
      if (callId === this.#callId) void this.#refresh();
    });
  }

  show(callId: string): void {
    this.#callId = callId;
    this.#ui.status.textContent = '';
    void this.#refresh();
  }

  hide(): void {
    this.#callId = undefined;
    show(this.#ui.section, false);
    this.#ui.list.replaceChildren();
  }

  async #refresh(): Promise<void> {
    const callId = this.#callId;
    if (!callId) return;
    const ack = await this.#socket.emitWithAck('call:recipients', { callId });
    if (callId !== this.#callId) return;
    if (!ack.ok) return void (this.#ui.status.textContent = ack.error.message);
    this.#ui.list.replaceChildren(...ack.data.map((recipient) => this.#item(callId, recipient)));
    show(this.#ui.section, ack.data.length > 0);
  }

  #item(callId: string, recipient: CallRecipient): HTMLLIElement {
    const item = document.createElement('li');
    const who = recipient.name ? `${recipient.name} (${recipient.email})` : recipient.email;
    item.append(who, ' ');
    if (recipient.inCall) {
      item.append('— in the call');
      return item;
    }
    // An open reply page rings at once; otherwise they can join from the email's link.
    if (recipient.pageOpen) item.append('(reply page open) ');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Invite';
    button.setAttribute('aria-label', `Invite ${recipient.name ?? recipient.email}`);
    button.addEventListener('click', () => void this.#invite(callId, recipient, who));
    item.append(button);
    return item;
  }

  async #invite(callId: string, recipient: CallRecipient, who: string): Promise<void> {
    try {
      const { reached } = unwrap(
        await this.#socket.emitWithAck('call:invite', { callId, linkId: recipient.linkId }),
      );
      this.#ui.status.textContent =
        reached > 0
          ? `Invited ${who}: their reply page is ringing.`
          : `${who} does not have the reply page open; they can join from the email's link while the call lasts.`;
    } catch (error) {
      this.#ui.status.textContent = error instanceof Error ? error.message : String(error);
    }
  }
}
