// The desk app's chat with one recipient (opened from the Links list). A
// caller's message on any link shows a notice; the open chat gets it in place.
import type { ChatMessage } from '../../protocol/chat.js';
import type { LinkInfo } from '../../protocol/links.js';
import { unwrap } from '../shared/ack.js';
import { ChatLog, markRead, sendChat } from '../shared/chat-log.js';
import { api } from '../shared/api.js';
import type { VoxClientSocket } from '../shared/connection.js';
import { byId, show } from '../shared/dom.js';

/**
 * A chat email's link lands here as /app#chat-<link id> (now, or in a tab
 * already open): that chat opens.
 */
export function openChatsFromUrl(open: (link: LinkInfo) => void): void {
  const follow = async (): Promise<void> => {
    const id = Number(/^#chat-(\d+)$/.exec(location.hash)?.[1]);
    if (!id) return;
    const link = (await api<LinkInfo[]>('GET', '/api/links')).find((each) => each.id === id);
    if (link) open(link);
  };
  window.addEventListener('hashchange', () => void follow());
  void follow();
}

export class DeskChat {
  readonly #socket: VoxClientSocket;
  readonly #ui = {
    panel: byId('chat-panel'),
    title: byId('chat-title'),
    log: new ChatLog(byId<HTMLOListElement>('chat-log'), 'sender'),
    form: byId<HTMLFormElement>('chat-form'),
    text: byId<HTMLInputElement>('chat-text'),
    status: byId('chat-status'),
  };
  #linkId: number | undefined;

  constructor(socket: VoxClientSocket) {
    this.#socket = socket;
    const ui = this.#ui;
    socket.on('chat:message', (message) => this.#received(message));
    socket.on('chat:read', (read) => {
      if (read.linkId === this.#linkId) ui.log.read(read);
    });
    // A new socket (after a reconnect) is in no chat room yet.
    socket.on('connect', () => {
      if (this.#linkId !== undefined) void this.#load(this.#linkId);
    });
    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#send();
    });
    byId('chat-close').addEventListener('click', () => {
      this.#linkId = undefined;
      show(ui.panel, false);
    });
  }

  async open(link: LinkInfo): Promise<void> {
    const ui = this.#ui;
    this.#linkId = link.id;
    ui.title.textContent = `Chat with ${link.recipientName ?? link.recipientEmail ?? 'recipient'}`;
    show(ui.panel, true);
    await this.#load(link.id);
    ui.text.focus();
  }

  async #load(linkId: number): Promise<void> {
    const ui = this.#ui;
    const opened = unwrap(await this.#socket.emitWithAck('chat:open', { linkId }));
    // Another chat was opened meanwhile: this answer is for a closed one.
    if (linkId !== this.#linkId) return;
    ui.log.clear();
    for (const message of opened.messages) ui.log.add(message);
    ui.status.textContent = opened.enabled ? '' : 'Chat is turned off in your settings.';
    markRead(this.#socket, { linkId }, ui.log);
  }

  #received(message: ChatMessage): void {
    if (message.linkId === this.#linkId) {
      this.#ui.log.add(message);
      markRead(this.#socket, { linkId: message.linkId }, this.#ui.log);
      return;
    }
    if (message.from === 'caller')
      byId('notice').textContent = `New message from ${message.authorName}: open Links → Chat`;
  }

  async #send(): Promise<void> {
    const ui = this.#ui;
    const linkId = this.#linkId;
    const text = ui.text.value.trim();
    if (linkId === undefined || !text) return;
    await sendChat(this.#socket, { linkId, text }, ui, ui.log);
  }
}
