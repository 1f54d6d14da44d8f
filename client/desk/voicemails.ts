// "Voice messages": what callers left when nobody answered. New ones arrive
// over the socket and show at once; each plays in the page, can be marked
// heard (playing it to the end does that too) and deleted.
import type { VoicemailView } from '../../protocol/voicemail.js';
import { api } from '../shared/api.js';
import { byId, formatDuration, h, timeAgo } from '../shared/dom.js';

export async function renderVoicemails(): Promise<void> {
  const messages = await api<VoicemailView[]>('GET', '/api/voicemails');
  const unheard = messages.filter((message) => !message.heardAt).length;
  byId('voicemail-title').textContent =
    unheard > 0 ? `Voice messages (${unheard} new)` : 'Voice messages';
  const table = byId<HTMLTableElement>('voicemails');
  if (messages.length === 0) {
    table.replaceChildren(h('tr', {}, h('td', { class: 'muted' }, 'No voice messages.')));
    return;
  }
  table.replaceChildren(
    h('tr', {}, h('th', {}, 'From'), h('th', {}, 'When'), h('th', {}, 'Message'), h('th', {}, '')),
    ...messages.map(messageRow),
  );
}

function messageRow(message: VoicemailView): HTMLTableRowElement {
  const audio = h('audio', {
    controls: true,
    preload: 'none',
    src: `/api/voicemails/${message.id}/audio`,
    'aria-label': `Voice message from ${message.callerName}`,
  });
  if (!message.heardAt) {
    audio.addEventListener('ended', () => void setHeard(message, true), { once: true });
  }
  const heard = h('button', { type: 'button' }, message.heardAt ? 'Mark new' : 'Mark heard');
  heard.addEventListener('click', () => void setHeard(message, !message.heardAt));
  const remove = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      'aria-label': `Delete the message from ${message.callerName}`,
    },
    'Delete',
  );
  remove.addEventListener('click', () => {
    remove.disabled = true;
    void api('DELETE', `/api/voicemails/${message.id}`).then(renderVoicemails);
  });
  return h(
    'tr',
    { 'data-heard': message.heardAt ? 'yes' : 'no' },
    h(
      'td',
      {},
      message.callerEmail ? `${message.callerName} (${message.callerEmail})` : message.callerName,
      message.subject ? h('div', { class: 'muted' }, `About: ${message.subject}`) : null,
    ),
    h('td', {}, timeAgo(message.createdAt)),
    h('td', {}, audio, h('div', { class: 'muted' }, formatDuration(message.durationSeconds))),
    h('td', {}, heard, remove),
  );
}

async function setHeard(message: VoicemailView, heard: boolean): Promise<void> {
  await api('PATCH', `/api/voicemails/${message.id}`, { heard });
  await renderVoicemails();
}
