// The reply page's chat with the sender, beside the call buttons: open before,
// during and after a call; history comes back on reload.
import type { ChatMessage } from '../../protocol/chat.js';
import { ChatLog, markRead } from '../shared/chat-log.js';
import { ackWithin, type VoxClientSocket } from '../shared/connection.js';
import { byId, show } from '../shared/dom.js';
import { unwrap } from '../shared/media-session.js';

export function bindChat(
  socket: VoxClientSocket,
  token: string,
  callerName: () => string,
  askName: () => void,
): void {
  const ui = {
    section: byId('chat'),
    log: new ChatLog(byId<HTMLOListElement>('chat-log'), 'caller'),
    form: byId<HTMLFormElement>('chat-form'),
    text: byId<HTMLInputElement>('chat-text'),
    status: byId('chat-status'),
  };
  const where = { token };
  show(ui.section, true);

  const open = async () => {
    const opened = unwrap(await socket.emitWithAck('chat:open', where));
    if (!opened.enabled) {
      ui.status.textContent = 'The sender has turned chat off.';
      show(ui.form, false);
      return;
    }
    ui.log.clear();
    for (const message of opened.messages) ui.log.add(message);
    markRead(socket, where, ui.log);
  };
  // Also after a reconnect: the server forgets which chat a new socket is in.
  socket.on('connect', () => void open().catch(showError));
  if (socket.connected) void open().catch(showError);

  socket.on('chat:message', (message: ChatMessage) => {
    ui.log.add(message);
    markRead(socket, where, ui.log);
  });
  socket.on('chat:read', (read) => ui.log.read(read));
  document.addEventListener('visibilitychange', () => markRead(socket, where, ui.log));

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.text.value.trim();
    const authorName = callerName();
    if (!text) return;
    if (!authorName) {
      askName();
      return;
    }
    void send(text, authorName);
  });

  /** One message at a time: a second press waits for the first answer. */
  async function send(text: string, authorName: string): Promise<void> {
    const button = ui.form.querySelector('button');
    if (button?.disabled) return;
    if (button) button.disabled = true;
    try {
      const ack = await ackWithin(
        socket.emitWithAck('chat:send', { ...where, text, authorName }),
        10_000,
      );
      if (!ack.ok) {
        ui.status.textContent = ack.error.message;
        return;
      }
      ui.status.textContent = '';
      ui.text.value = '';
      ui.log.add(ack.data);
    } catch {
      ui.status.textContent = 'No answer from the server: not sure it was sent. Try again.';
    } finally {
      if (button) button.disabled = false;
    }
  }

  function showError(error: unknown): void {
    ui.status.textContent = error instanceof Error ? error.message : String(error);
  }
}
