// The account section of the desk (change password, sessions, delete the
// account) and the logged-out parts of account security: "Forgot password?"
// and the new-password form a mailed reset link opens (ADR 025).
import type {
  ForgotPasswordAnswer,
  SessionView,
  SessionsEnded,
} from '../../protocol/account-security.js';
import type { Me } from '../../protocol/accounts.js';
import { api } from '../shared/api.js';
import { byId, h, show, timeAgo } from '../shared/dom.js';

const RESET_TOKEN = /^[A-Za-z0-9_-]{43}$/;

function messageOf(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}

/** A form's text field by name. */
function field(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  return typeof value === 'string' ? value : '';
}

/** The logged-in account's security settings. */
export function bindAccount(me: Me, onDeleted: () => void): void {
  bindChangePassword();
  bindSessions();
  bindDeleteAccount(me, onDeleted);
}

function bindChangePassword(): void {
  const form = byId<HTMLFormElement>('password-form');
  const status = byId('password-status');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = 'Changing…';
    const body = {
      currentPassword: field(form, 'currentPassword'),
      newPassword: field(form, 'newPassword'),
    };
    api<SessionsEnded>('POST', '/api/me/password', body).then(
      ({ ended }) => {
        form.reset();
        status.textContent = `Password changed. ${loggedOutText(ended)}`;
        void renderSessions();
      },
      (failure: unknown) => (status.textContent = messageOf(failure)),
    );
  });
}

function loggedOutText(ended: number): string {
  if (ended === 0) return 'No other session was logged in.';
  return ended === 1
    ? '1 other session was logged out.'
    : `${ended} other sessions were logged out.`;
}

function bindSessions(): void {
  const status = byId('sessions-status');
  byId('end-other-sessions').addEventListener('click', () => {
    api<SessionsEnded>('POST', '/api/me/sessions/end-others', {}).then(
      ({ ended }) => {
        status.textContent = loggedOutText(ended);
        void renderSessions();
      },
      (failure: unknown) => (status.textContent = messageOf(failure)),
    );
  });
  void renderSessions();
}

/** Where a session was opened, in a few words ("Firefox on Linux, 192.0.2.1"). */
function describe(session: SessionView): string {
  const agent = session.userAgent ?? 'Unknown browser';
  const browser =
    /(Edg|Firefox|Chrome|Safari)\/[\d.]+/.exec(agent)?.[1]?.replace('Edg', 'Edge') ?? agent;
  const system = /(Windows|Android|iPhone|iPad|Mac OS X|Linux)/.exec(agent)?.[1] ?? '';
  return [system ? `${browser} on ${system}` : browser, session.clientAddress]
    .filter(Boolean)
    .join(', ');
}

export async function renderSessions(): Promise<void> {
  const table = byId<HTMLTableElement>('sessions');
  const status = byId('sessions-status');
  const sessions = await api<SessionView[]>('GET', '/api/me/sessions').catch((failure: unknown) => {
    status.textContent = messageOf(failure);
    return [];
  });
  table.replaceChildren(
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Where'),
      h('th', { scope: 'col' }, 'Logged in'),
      h('th', { scope: 'col' }, 'Last seen'),
      h('th', { scope: 'col' }, ''),
    ),
    ...sessions.map((session) => {
      const where = describe(session);
      const logOut = h(
        'button',
        { type: 'button', 'aria-label': `Log out ${where}` },
        session.current ? 'Log out (this one)' : 'Log out',
      );
      logOut.addEventListener('click', () => {
        api('DELETE', `/api/me/sessions/${session.id}`).then(
          () => {
            if (session.current) location.reload();
            status.textContent = `Logged out ${where}.`;
            void renderSessions();
          },
          (failure: unknown) => (status.textContent = messageOf(failure)),
        );
      });
      return h(
        'tr',
        {},
        h('td', {}, where, session.current ? ' (this browser)' : ''),
        h('td', {}, timeAgo(session.createdAt)),
        h('td', {}, timeAgo(session.lastSeenAt)),
        h('td', {}, logOut),
      );
    }),
  );
}

function bindDeleteAccount(me: Me, onDeleted: () => void): void {
  const form = byId<HTMLFormElement>('delete-account-form');
  const status = byId('delete-account-status');
  byId('delete-account-address').textContent = me.email;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const email = field(form, 'email');
    if (email.trim().toLowerCase() !== me.email) {
      status.textContent = `Type ${me.email} exactly to delete this account.`;
      return;
    }
    status.textContent = 'Deleting…';
    api('DELETE', '/api/me', { email }).then(onDeleted, (failure: unknown) => {
      status.textContent = messageOf(failure);
    });
  });
}

/** The log-in page's "Forgot password?": one answer whatever the address. */
export function bindForgotPassword(): void {
  const form = byId<HTMLFormElement>('forgot-form');
  const status = byId('forgot-status');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api<ForgotPasswordAnswer>('POST', '/api/password/forgot', { email: field(form, 'email') }).then(
      ({ message }) => (status.textContent = message),
      (failure: unknown) => (status.textContent = messageOf(failure)),
    );
  });
}

/**
 * A mailed reset link lands here as /app#reset=<token>: the form
 * for a new password. The token leaves the address bar at once. True when the
 * page shows the form (and nothing else).
 */
export function resetFromLink(): boolean {
  // Only in the fragment: a query would carry the token into request logs.
  const token = /^#reset=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  if (token === undefined || !RESET_TOKEN.test(token)) return false;
  history.replaceState(null, '', location.pathname);
  const section = byId('reset');
  const form = byId<HTMLFormElement>('reset-form');
  const status = byId('reset-status');
  show(section, true);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api('POST', '/api/password/reset', { token, password: field(form, 'password') }).then(
      () => {
        form.reset();
        show(form, false);
        status.textContent =
          'Your password is changed and every session was logged out. Log in with the new password.';
        byId<HTMLAnchorElement>('reset-done').hidden = false;
      },
      (failure: unknown) => (status.textContent = messageOf(failure)),
    );
  });
  byId<HTMLInputElement>('reset-password').focus();
  return true;
}
