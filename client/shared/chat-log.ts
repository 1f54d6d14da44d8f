// One chat's messages on a page (reply page or desk app): text only, the
// newest at the bottom, "Read" under this side's messages the other side saw.
import type { ChatMessage, ChatRead, ChatSendRequest, ChatSide } from '../../protocol/chat.js';
import { ackWithin } from './ack.js';
import type { VoxClientSocket } from './connection.js';
import { h } from './dom.js';

export class ChatLog {
  readonly #list: HTMLOListElement;
  readonly #side: ChatSide;
  readonly #items = new Map<number, { message: ChatMessage; status: HTMLElement }>();

  constructor(list: HTMLOListElement, side: ChatSide) {
    this.#list = list;
    this.#side = side;
  }

  clear(): void {
    this.#items.clear();
    this.#list.replaceChildren();
  }

  add(message: ChatMessage): void {
    if (this.#items.has(message.id)) return;
    const mine = message.from === this.#side;
    const status = h('span', { class: 'muted chat-status' }, mine ? statusText(message) : '');
    const time = new Date(message.sentAt).toLocaleTimeString([], {
      hour: '2-digit',
      minute: '2-digit',
    });
    this.#list.append(
      h(
        'li',
        { class: mine ? 'chat-mine' : 'chat-theirs', 'data-id': String(message.id) },
        h('div', { class: 'muted' }, `${message.authorName} · ${time}`),
        // textContent: whatever a message holds is shown as the characters typed.
        h('div', { class: 'chat-text' }, message.text),
        status,
      ),
    );
    this.#items.set(message.id, { message, status });
    this.#list.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }

  /** The other side saw this side's messages up to an id. */
  read(read: ChatRead): void {
    if (read.from !== this.#side) return;
    for (const [id, item] of this.#items) {
      if (id <= read.upToId && item.message.from === this.#side && !item.message.readAt) {
        item.message.readAt = read.readAt;
        item.status.textContent = statusText(item.message);
      }
    }
  }

  /** The newest message from the other side, for the read mark. */
  newestTheirs(): number | undefined {
    const theirs = [...this.#items.values()].filter((item) => item.message.from !== this.#side);
    return theirs.at(-1)?.message.id;
  }
}

function statusText(message: ChatMessage): string {
  return message.readAt ? 'Read' : 'Sent';
}

/** Tells the other side this page has seen its messages (when the page is visible). */
export function markRead(
  socket: VoxClientSocket,
  where: { token: string } | { linkId: number },
  log: ChatLog,
): void {
  const upToId = log.newestTheirs();
  if (upToId === undefined || document.visibilityState !== 'visible') return;
  void socket.emitWithAck('chat:read', { ...where, upToId });
}

/** Per chat form, the message whose send got no answer yet, with its key. */
const unanswered = new WeakMap<HTMLFormElement, { text: string; key: string }>();

function messageKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A chat's form: its text field, its send button, the line for problems. */
export interface ChatForm {
  form: HTMLFormElement;
  text: HTMLInputElement;
  status: HTMLElement;
}

/**
 * Sends one message at a time (a second press waits for the first answer) and
 * says so when no answer comes; the message joins the log once stored.
 */
export async function sendChat(
  socket: VoxClientSocket,
  request: ChatSendRequest,
  ui: ChatForm,
  log: ChatLog,
): Promise<void> {
  const button = ui.form.querySelector('button');
  if (button?.disabled) return;
  if (button) button.disabled = true;
  // The same text sent again after no answer keeps its key: stored once either way.
  const earlier = unanswered.get(ui.form);
  const key = earlier?.text === request.text ? earlier.key : messageKey();
  unanswered.set(ui.form, { text: request.text, key });
  try {
    const ack = await ackWithin(socket.emitWithAck('chat:send', { ...request, key }), 10_000);
    if (!ack.ok) {
      ui.status.textContent = ack.error.message;
      return;
    }
    unanswered.delete(ui.form);
    ui.status.textContent = '';
    ui.text.value = '';
    log.add(ack.data);
  } catch {
    ui.status.textContent = 'No answer from the server: not sure it was sent. Try again.';
  } finally {
    if (button) button.disabled = false;
  }
}
