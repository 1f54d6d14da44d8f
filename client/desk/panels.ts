// The desk app's panels: settings, forwarding phones, links, history (devices: devices.ts).
import type { Me, MyReply } from '../../protocol/accounts.js';
import type { CallRecordView } from '../../protocol/call.js';
import { MAX_PHONE_LABEL_LENGTH } from '../../protocol/limits.js';
import type { CreatedLink, LinkInfo } from '../../protocol/links.js';
import type { PhoneLegView, PhoneList, PhoneNumber } from '../../protocol/phones.js';
import { api } from '../shared/api.js';
import { byId, formatDuration, h, show, timeAgo } from '../shared/dom.js';

export function bindSettings(me: Me, onChange: (me: Me) => void): void {
  const t1 = byId<HTMLInputElement>('t1');
  const t2 = byId<HTMLInputElement>('t2');
  const showStatus = byId<HTMLInputElement>('show-status');
  const awayAfter = byId<HTMLInputElement>('away-after');
  const dnd = byId<HTMLInputElement>('dnd');
  const offerVideo = byId<HTMLInputElement>('offer-video');
  const notifyMissed = byId<HTMLInputElement>('notify-missed');
  const chatEnabled = byId<HTMLInputElement>('chat-enabled');
  const chatEmails = byId<HTMLInputElement>('chat-emails');
  t1.value = String(me.settings.ringPlan.firstStageSeconds);
  t2.value = String(me.settings.ringPlan.totalSeconds);
  showStatus.checked = me.settings.showStatus;
  awayAfter.value = String(me.settings.awayAfterMinutes);
  dnd.checked = me.settings.doNotDisturb;
  offerVideo.checked = me.settings.offerVideo;
  notifyMissed.checked = me.settings.notifyMissedCalls;
  chatEnabled.checked = me.settings.chatEnabled;
  chatEmails.checked = me.settings.chatEmails;
  const save = (body: object) => {
    api<Me>('PATCH', '/api/me/settings', body).then(onChange, (error: unknown) => {
      byId('notice').textContent = error instanceof Error ? error.message : String(error);
    });
  };
  const savePlan = () =>
    save({ ringPlan: { firstStageSeconds: Number(t1.value), totalSeconds: Number(t2.value) } });
  t1.addEventListener('change', savePlan);
  t2.addEventListener('change', savePlan);
  showStatus.addEventListener('change', () => save({ showStatus: showStatus.checked }));
  awayAfter.addEventListener('change', () => save({ awayAfterMinutes: Number(awayAfter.value) }));
  dnd.addEventListener('change', () => save({ doNotDisturb: dnd.checked }));
  offerVideo.addEventListener('change', () => save({ offerVideo: offerVideo.checked }));
  notifyMissed.addEventListener('change', () => save({ notifyMissedCalls: notifyMissed.checked }));
  chatEnabled.addEventListener('change', () => save({ chatEnabled: chatEnabled.checked }));
  chatEmails.addEventListener('change', () => save({ chatEmails: chatEmails.checked }));
}

const ASK_TO_PRESS_1_HINT =
  'A forwarded call tells this phone who is calling and what about, and connects only once you ' +
  'press 1, so a mailbox never takes it (the caller can leave a voice message here instead). ' +
  'Turn it off for a phone that never goes to voicemail.';

/** The forwarding phones: an ordered draft edited here and saved whole. */
export async function bindPhones(): Promise<void> {
  const status = byId('phones-status');
  let draft = (await api<PhoneList>('GET', '/api/me/phones')).phones;
  const render = (): void =>
    renderPhoneRows(draft, (next) => {
      draft = next;
      render();
    });
  const say = (text: string, error: boolean): void => {
    status.textContent = text;
    status.classList.toggle('error', error);
  };
  byId('add-phone').addEventListener('click', () => {
    draft = [...draft, { label: '', number: '', askToPress1: true }];
    render();
    byId<HTMLTableElement>('phones')
      .querySelector<HTMLInputElement>('tr:last-child input')
      ?.focus();
  });
  byId('save-phones').addEventListener('click', () => {
    // A row added and left empty is not meant as a number.
    const phones = draft.filter((phone) => phone.label.trim() || phone.number.trim());
    api<PhoneList>('PUT', '/api/me/phones', { phones }).then(
      (stored) => {
        draft = stored.phones;
        render();
        say('Saved.', false);
      },
      (error: unknown) => say(readablePhoneError(error), true),
    );
  });
  render();
}

function renderPhoneRows(draft: PhoneNumber[], change: (next: PhoneNumber[]) => void): void {
  const table = byId<HTMLTableElement>('phones');
  if (draft.length === 0) {
    table.replaceChildren(h('tr', {}, h('td', { class: 'muted' }, 'No forwarding phones yet.')));
    return;
  }
  table.replaceChildren(
    h(
      'tr',
      {},
      h('th', {}, ''),
      h('th', {}, 'Label'),
      h('th', {}, 'Number'),
      h('th', { title: ASK_TO_PRESS_1_HINT }, 'Ask me to press 1'),
      h('th', {}, ''),
    ),
    ...draft.map((phone, index) => phoneRow(draft, phone, index, change)),
  );
}

function phoneRow(
  draft: PhoneNumber[],
  phone: PhoneNumber,
  index: number,
  change: (next: PhoneNumber[]) => void,
): HTMLTableRowElement {
  const nth = `phone ${index + 1}`;
  const label = h('input', {
    value: phone.label,
    maxlength: String(MAX_PHONE_LABEL_LENGTH),
    size: '12',
    placeholder: 'Mobile',
    'aria-label': `Label of ${nth}`,
  });
  const number = h('input', {
    type: 'tel',
    value: phone.number,
    size: '16',
    placeholder: '+15551234567',
    autocomplete: 'tel',
    'aria-label': `Number of ${nth}`,
  });
  // Typing edits the draft in place: no re-render, so the caret stays put.
  label.addEventListener('input', () => (phone.label = label.value));
  number.addEventListener('input', () => (phone.number = number.value));
  // A mailbox answers like a person; only a person presses 1. Off for phones
  // that never go to voicemail (a desk phone on a PBX).
  const ask = h('input', {
    type: 'checkbox',
    title: ASK_TO_PRESS_1_HINT,
    'aria-label': `Ask me to press 1 on ${nth}`,
  });
  ask.checked = phone.askToPress1;
  ask.addEventListener('change', () => (phone.askToPress1 = ask.checked));
  const button = (text: string, name: string, next: () => PhoneNumber[], enabled = true) => {
    const element = h('button', { type: 'button', 'aria-label': `${name} ${nth}` }, text);
    element.disabled = !enabled;
    element.addEventListener('click', () => change(next()));
    return element;
  };
  return h(
    'tr',
    {},
    h('td', {}, String(index + 1)),
    h('td', {}, label),
    h('td', {}, number),
    h('td', {}, ask),
    h(
      'td',
      { class: 'row' },
      button('↑', 'Move up', () => moved(draft, index, index - 1), index > 0),
      button('↓', 'Move down', () => moved(draft, index, index + 1), index < draft.length - 1),
      button('Remove', 'Remove', () => draft.filter((_, i) => i !== index)),
    ),
  );
}

function moved<T>(list: T[], from: number, to: number): T[] {
  const next = [...list];
  const [item] = next.splice(from, 1);
  if (item !== undefined) next.splice(to, 0, item);
  return next;
}

/** The server names fields by path ("phones.1.number"); people count rows from 1. */
function readablePhoneError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(
    /\bphones\.(\d+)\.(\w+)/g,
    (_match, index: string, field: string) => `Phone ${Number(index) + 1}: ${field}`,
  );
}

/** Opens a link's chat (set by the composition in main.ts). */
let openChat: (link: LinkInfo) => void = () => {};

export function onOpenChat(open: (link: LinkInfo) => void): void {
  openChat = open;
}

export async function renderLinks(): Promise<void> {
  const links = await api<LinkInfo[]>('GET', '/api/links');
  const signature = links.find((link) => link.kind === 'signature');
  const anchor = byId<HTMLAnchorElement>('signature-link');
  anchor.textContent = signature?.url ?? '';
  anchor.href = signature?.url ?? '#';
  const table = byId<HTMLTableElement>('links');
  table.replaceChildren(
    h(
      'tr',
      {},
      h('th', {}, 'Recipient'),
      h('th', {}, 'Subject'),
      h('th', {}, 'Created'),
      h('th', {}, 'Last used'),
      h('th', {}, 'Calls'),
      h('th', {}, ''),
    ),
    ...links
      .filter((link) => link.kind === 'recipient')
      .map((link) => {
        const revoke = h('button', { type: 'button' }, link.revokedAt ? 'Revoked' : 'Revoke');
        revoke.disabled = Boolean(link.revokedAt);
        revoke.addEventListener(
          'click',
          () => void api('DELETE', `/api/links/${link.id}`).then(renderLinks),
        );
        return h(
          'tr',
          {},
          h('td', {}, link.recipientName ?? link.recipientEmail ?? '—'),
          h('td', {}, link.subject ?? ''),
          h('td', {}, timeAgo(link.createdAt)),
          h('td', {}, timeAgo(link.lastUsedAt)),
          h('td', {}, String(link.calls)),
          h('td', {}, chatButton(link), revoke),
        );
      }),
  );
}

export function bindLinkForm(): void {
  const form = byId<HTMLFormElement>('link-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = Object.fromEntries(
      ['recipientEmail', 'recipientName', 'subject'].flatMap((name) => {
        const raw = data.get(name);
        const value = typeof raw === 'string' ? raw.trim() : '';
        return value ? [[name, value]] : [];
      }),
    );
    api<CreatedLink>('POST', '/api/links', body).then(
      (created) => {
        byId('new-link').textContent = `New link: ${created.url}`;
        form.reset();
        void renderLinks();
      },
      (error: unknown) =>
        (byId('new-link').textContent = error instanceof Error ? error.message : String(error)),
    );
  });
}

const OUTCOME_TEXT: Record<NonNullable<CallRecordView['outcome']>, string> = {
  answered: 'answered',
  missed: 'missed',
  declined: 'declined',
  cancelled: 'cancelled by the caller',
};

export async function renderHistory(): Promise<void> {
  // Legs record the number only; its label comes from the current list.
  const [calls, { phones }] = await Promise.all([
    api<CallRecordView[]>('GET', '/api/calls'),
    api<PhoneList>('GET', '/api/me/phones'),
  ]);
  const labels = new Map(phones.map((phone) => [phone.number, phone.label]));
  byId<HTMLTableElement>('history').replaceChildren(
    h(
      'tr',
      {},
      h('th', {}, 'Caller'),
      h('th', {}, 'When'),
      h('th', {}, 'Outcome'),
      h('th', {}, 'Why it rang where it did'),
    ),
    ...calls.map((call) =>
      h(
        'tr',
        { 'data-outcome': call.outcome ?? 'in_progress' },
        h(
          'td',
          {},
          call.callerName,
          call.subject ? h('div', { class: 'muted' }, call.subject) : null,
        ),
        h('td', {}, new Date(call.startedAt).toLocaleString()),
        h(
          'td',
          {},
          call.outcome ? OUTCOME_TEXT[call.outcome] : 'in progress',
          call.answeredOn ? ` on ${call.answeredOn}` : '',
          call.durationSeconds !== null ? ` (${formatDuration(call.durationSeconds)})` : '',
          ...call.phoneLegs.map((leg) =>
            h('div', { class: 'muted phone-leg' }, phoneLegText(leg, labels.get(leg.number))),
          ),
        ),
        h('td', { class: 'muted' }, call.ringReasons.join('; ')),
      ),
    ),
  );
}

/** "Phone +15551234567 (Mobile via carrier-a): 486 Busy Here" */
function phoneLegText(leg: PhoneLegView, label: string | undefined): string {
  const route = label ? `${label} via ${leg.trunk}` : `via ${leg.trunk}`;
  let result: string;
  // "answered", or how it was: "confirmed by key 1".
  const answered = leg.result && leg.result !== 'answered' ? leg.result : 'answered';
  if (leg.answeredAt)
    result =
      leg.durationSeconds === null
        ? `${answered}, in call`
        : `${answered}, ${formatDuration(leg.durationSeconds)}`;
  else result = leg.result ?? 'calling…';
  return `Phone ${leg.number} (${route}): ${result}`;
}

function chatButton(link: LinkInfo): HTMLButtonElement {
  const who = link.recipientName ?? link.recipientEmail ?? 'this recipient';
  const button = h('button', { type: 'button', 'aria-label': `Chat with ${who}` }, 'Chat');
  button.addEventListener('click', () => openChat(link));
  return button;
}

/** "Your replies": the calls this person made as a recipient (confirmed address only). */
export async function renderReplies(): Promise<void> {
  const replies = await api<MyReply[]>('GET', '/api/me/replies');
  show(byId('replies'), true);
  byId<HTMLTableElement>('replies-table').replaceChildren(
    h(
      'tr',
      {},
      h('th', {}, 'To'),
      h('th', {}, 'About'),
      h('th', {}, 'When'),
      h('th', {}, 'Outcome'),
    ),
    ...replies.map((reply) =>
      h(
        'tr',
        {},
        h('td', {}, reply.senderName),
        h('td', {}, reply.subject ?? ''),
        h('td', {}, timeAgo(reply.startedAt)),
        h('td', {}, reply.outcome ?? 'in progress'),
      ),
    ),
  );
}
