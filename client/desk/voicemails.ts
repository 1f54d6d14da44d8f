// "Voice messages": what callers left when nobody answered. New ones arrive
// over the socket and show at once; each plays in the page, can be marked
// heard (playing it to the end does that too) and deleted.
import type { VoicemailView } from '../../protocol/voicemail.js';
import { api } from '../shared/api.js';
import { byId, formatDuration, h, timeAgo } from '../shared/dom.js';

/** A new message: re-list, unless one is playing (re-listing would stop it). */
export async function showNewVoicemail(): Promise<void> {
  const playing = [...document.querySelectorAll<HTMLAudioElement>('#voicemails audio')].some(
    (audio) => !audio.paused,
  );
  if (!playing) {
    await renderVoicemails();
    return;
  }
  const messages = await api<VoicemailView[]>('GET', '/api/voicemails');
  const unheard = messages.filter((message) => !message.heardAt).length;
  byId('voicemail-title').textContent = `Voice messages (${unheard} new)`;
  const table = byId<HTMLTableElement>('voicemails');
  const shown = new Set(
    [...table.querySelectorAll('tr[data-id]')].map((row) => row.getAttribute('data-id')),
  );
  const header = table.querySelector('tr');
  for (const message of messages.filter((m) => !shown.has(m.id)).reverse())
    header?.after(messageRow(message));
}

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
  // A voice-message email's link (/app#voicemail-<id>) shows that message.
  if (location.hash.startsWith('#voicemail-'))
    document.getElementById(location.hash.slice(1))?.scrollIntoView({ block: 'center' });
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
    // Deleted already (another desk)? The fresh list says so either way.
    void api('DELETE', `/api/voicemails/${message.id}`)
      .catch(() => undefined)
      .then(renderVoicemails);
  });
  return h(
    'tr',
    {
      id: `voicemail-${message.id}`,
      'data-heard': message.heardAt ? 'yes' : 'no',
      'data-id': message.id,
    },
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
