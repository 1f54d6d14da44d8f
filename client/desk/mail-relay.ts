// "Email" → "Mail relay": what a mail program needs to send through
// Voxreply, and the app passwords it logs in with. A new password is shown
// once, here; afterwards the server keeps only its hash and the list shows labels.
import type { AppPasswordInfo, CreatedAppPassword, RelaySettings } from '../../protocol/mail.js';
import { api } from '../shared/api.js';
import { byId, h, timeAgo } from '../shared/dom.js';

export async function bindMailRelay(): Promise<void> {
  const form = byId<HTMLFormElement>('app-password-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const raw = new FormData(form).get('label');
    const label = typeof raw === 'string' ? raw.trim() : '';
    api<CreatedAppPassword>('POST', '/api/me/app-passwords', { label }).then(
      (created) => {
        showNewPassword(created);
        form.reset();
        void renderMailRelay();
      },
      (error: unknown) => say(errorText(error), true),
    );
  });
  await renderMailRelay();
}

async function renderMailRelay(): Promise<void> {
  const settings = await api<RelaySettings>('GET', '/api/me/mail');
  renderRelay(settings.relay);
  renderAppPasswords(settings.appPasswords);
}

function renderRelay(relay: RelaySettings['relay']): void {
  const container = byId('relay');
  if (!relay) {
    // Senders cannot fix this themselves: say whom to ask and what they need to set.
    container.replaceChildren(
      h(
        'p',
        {},
        'The mail relay is not configured on this server: ask its administrator to set MAIL_SMARTHOST.',
      ),
    );
    return;
  }
  const entry = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)];
  container.replaceChildren(
    h(
      'dl',
      { class: 'relay-settings' },
      ...entry('Server', relay.host),
      ...entry('Port', String(relay.port)),
      ...entry('STARTTLS', relay.startTls ? 'yes' : 'no'),
      ...entry('User name', relay.username),
      ...entry('Password', 'an app password (below)'),
    ),
  );
}

function renderAppPasswords(passwords: AppPasswordInfo[]): void {
  const table = byId<HTMLTableElement>('app-passwords');
  if (passwords.length === 0) {
    table.replaceChildren(h('tr', {}, h('td', { class: 'muted' }, 'No app passwords yet.')));
    return;
  }
  table.replaceChildren(
    h(
      'tr',
      {},
      h('th', {}, 'Label'),
      h('th', {}, 'Created'),
      h('th', {}, 'Last used'),
      h('th', {}, ''),
    ),
    ...passwords.map((password) =>
      h(
        'tr',
        {},
        h('td', {}, password.label),
        h('td', {}, timeAgo(password.createdAt)),
        h('td', {}, timeAgo(password.lastUsedAt)),
        h('td', {}, revokeButton(password)),
      ),
    ),
  );
}

function revokeButton(password: AppPasswordInfo): HTMLButtonElement {
  // Labels need not be unique, but the name tells rows apart for screen readers.
  const button = h(
    'button',
    { type: 'button', 'aria-label': `Revoke ${password.label}` },
    'Revoke',
  );
  button.addEventListener('click', () => {
    button.disabled = true;
    api('DELETE', `/api/me/app-passwords/${password.id}`).then(
      () => {
        // An earlier failure is over; a password just shown stays until read.
        if (byId('new-app-password').classList.contains('error')) say('', false);
        void renderMailRelay();
      },
      (error: unknown) => {
        button.disabled = false;
        say(errorText(error), true);
      },
    );
  });
  return button;
}

function showNewPassword(created: CreatedAppPassword): void {
  // In its own element so a double click selects just the password.
  const status = byId('new-app-password');
  status.classList.remove('error');
  status.replaceChildren(
    `New app password for ${created.label}: `,
    h('code', {}, created.password),
    ' — copy it now, it is not shown again.',
  );
}

function say(text: string, error: boolean): void {
  const status = byId('new-app-password');
  status.textContent = text;
  status.classList.toggle('error', error);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
