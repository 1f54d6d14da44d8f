// The reply page's chat with the sender, beside the call buttons: open before,
// during and after a call; history comes back on reload.
import type { ChatMessage } from '../../protocol/chat.js';
import { MAX_CHAT_LENGTH } from '../../protocol/limits.js';
import { unwrap } from '../shared/ack.js';
import { ChatLog, markRead, sendChat } from '../shared/chat-log.js';
import type { VoxClientSocket } from '../shared/connection.js';
import { byId, show } from '../shared/dom.js';

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
  ui.text.maxLength = MAX_CHAT_LENGTH;
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
    void sendChat(socket, { ...where, text, authorName }, ui, ui.log);
  });

  function showError(error: unknown): void {
    ui.status.textContent = error instanceof Error ? error.message : String(error);
  }
}
