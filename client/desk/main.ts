// The desk app: the sender's account, this device, incoming calls, settings.
import '../shared/base.css';
import type { ConfirmationSent, Me } from '../../protocol/accounts.js';
import type { DeviceView } from '../../protocol/presence.js';
import { unwrap } from '../shared/ack.js';
import { ApiError, api } from '../shared/api.js';
import { connect } from '../shared/connection.js';
import { byId, show } from '../shared/dom.js';
import { bindAccount, bindForgotPassword, resetFromLink } from './account.js';
import { trackActivity } from './activity.js';
import { CallBacks } from './callbacks.js';
import { CallUi } from './call-ui.js';
import { DeskChat, openChatsFromUrl } from './chat.js';
import { deviceId, deviceLabel, platform, setDeviceLabel } from './device-identity.js';
import { renameDevice, renderDevices } from './devices.js';
import { applyInputLimits } from './input-limits.js';
import { offerInstall } from './install-app.js';
import { bindMailRelay } from './mail-relay.js';
import { answerRequestedByUrl, NotificationAnswers } from './notification-answers.js';
import { PushRingsPanel } from './push-rings.js';
import { onNotificationAnswer, registerDeskWorker } from './service-worker.js';
import { bindSignature } from './signature.js';
import { renderVoicemails, showNewVoicemail } from './voicemails.js';
import {
  bindLinkForm,
  bindPhones,
  onOpenChat,
  bindSettings,
  renderHistory,
  renderLinks,
  renderReplies,
} from './panels.js';

function showAuth(): void {
  show(byId('auth'), true);
  show(byId('app'), false);
  const error = byId('auth-error');
  const submit = (formId: string, path: string) => {
    const form = byId<HTMLFormElement>(formId);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      // Empty fields (an unused hidden fromLink) are left out, not sent as "".
      const body = Object.fromEntries(
        [...new FormData(form).entries()].filter(([, value]) => value !== ''),
      );
      api<Me>('POST', path, body).then(
        () => location.reload(),
        (failure: unknown) =>
          (error.textContent = failure instanceof Error ? failure.message : String(failure)),
      );
    });
  };
  submit('login-form', '/api/login');
  submit('signup-form', '/api/signup');
  bindForgotPassword();
  // A confirmation link opened where its account is not logged in: the password
  // of the account that signed up confirms it (that account may not be the one
  // its address logs in to, so a plain log-in could not).
  const pending = sessionStorage.getItem(PENDING_CODE);
  if (pending) {
    byId<HTMLFormElement>('login-form').addEventListener(
      'submit',
      (event) => {
        const password = new FormData(event.currentTarget as HTMLFormElement).get('password');
        if (typeof password !== 'string' || !password) return;
        event.stopImmediatePropagation();
        event.preventDefault();
        api<Me>('POST', '/api/confirm', { code: pending, password }).then(
          (me) => {
            sessionStorage.removeItem(PENDING_CODE);
            sessionStorage.setItem(CONFIRMED_NOTICE, confirmedMessage(me));
            location.reload();
          },
          (failure: unknown) =>
            (error.textContent = failure instanceof Error ? failure.message : String(failure)),
        );
      },
      // Before the plain log-in above.
      { capture: true },
    );
  }
  prefillSignUp();
}

/** Came from a reply page's "Get your own reply-by-voice link": fill in what it knows. */
function prefillSignUp(): void {
  const query = new URLSearchParams(location.search);
  const from = query.get('from');
  if (!from) return;
  const form = byId<HTMLFormElement>('signup-form');
  const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  field('name').value = query.get('name') ?? '';
  field('fromLink').value = from;
  // The address the link was mailed to: the person types it (a link does not reveal it).
  (query.get('name') ? field('email') : field('name')).focus();
}

function startApp(me: Me, worker: Promise<ServiceWorkerRegistration | null>): void {
  show(byId('auth'), false);
  show(byId('app'), true);
  byId('me').textContent = `${me.name} (${me.email})`;
  // Until the mailed link comes back the account sees none of the address's
  // replies: say why, and where to look.
  const unconfirmed = byId('unconfirmed');
  byId('unconfirmed-text').textContent =
    `Check your mail: a confirmation link was sent to ${me.email}. Your replies are shown once you open it.`;
  show(unconfirmed, !me.emailConfirmed);
  // An account from before confirmations never got a link, and mail gets lost.
  const resend = byId<HTMLButtonElement>('resend-confirmation');
  resend.addEventListener('click', () => {
    resend.disabled = true;
    api<ConfirmationSent>('POST', '/api/confirm/resend', {}).then(
      ({ sentTo }) =>
        (byId('unconfirmed-text').textContent =
          `A new confirmation link was sent to ${sentTo}. Open it in this browser.`),
      (failure: unknown) => {
        resend.disabled = false;
        byId('unconfirmed-text').textContent =
          failure instanceof Error ? failure.message : String(failure);
      },
    );
  });
  const socket = connect(byId('connection'));
  const id = deviceId();
  const calls = new CallUi(socket);
  calls.onCallFinished = () => void renderHistory();
  const callBacks = new CallBacks(socket, (requestId) => calls.expectCallBack(requestId));
  calls.onCallBackAnswered = () => callBacks.answered();
  // Answer pressed on a ring notification: in this tab, or the one that opened for it.
  const answers = new NotificationAnswers((callId) => calls.answerFromNotification(callId));
  onNotificationAnswer((callId) => answers.request(callId));
  const requested = answerRequestedByUrl();
  if (requested) answers.request(requested);
  const pushRings = new PushRingsPanel(id, worker);
  const listDevices = (devices: DeviceView[]): void => {
    renderDevices(socket, devices, id);
    pushRings.listed(devices);
  };

  socket.on('connect', () => {
    socket
      .emitWithAck('device:hello', { deviceId: id, label: deviceLabel(), platform: platform() })
      .then((ack) => {
        listDevices(unwrap(ack));
        answers.deviceReady(true);
      })
      .catch((error: unknown) => (byId('notice').textContent = String(error)));
  });
  socket.on('disconnect', () => answers.deviceReady(false));
  socket.on('devices:list', listDevices);
  const chat = new DeskChat(socket);
  onOpenChat((link) => void chat.open(link));
  openChatsFromUrl((link) => void chat.open(link));
  socket.on('voicemail:new', (message) => {
    byId('notice').textContent = `New voice message from ${message.callerName}`;
    void showNewVoicemail();
  });
  trackActivity((beat) => socket.volatile.emit('device:activity', beat));

  const label = byId<HTMLInputElement>('device-label');
  label.value = deviceLabel();
  label.addEventListener('change', () => {
    const value = label.value.trim();
    if (!value) return;
    setDeviceLabel(value);
    void renameDevice(socket, id, value).then(listDevices);
  });
  bindSettings(me, (updated) => (byId('me').textContent = `${updated.name} (${updated.email})`));
  bindLinkForm();
  bindPhones().catch((error: unknown) => (byId('phones-status').textContent = String(error)));
  bindSignature().catch((error: unknown) => (byId('signature-status').textContent = String(error)));
  bindMailRelay().catch((error: unknown) => (byId('new-app-password').textContent = String(error)));
  byId('logout').addEventListener('click', () => {
    void pushRings
      .signOut()
      .then(() => api('POST', '/api/logout'))
      .then(() => location.reload());
  });
  bindAccount(me, () => {
    sessionStorage.setItem(CONFIRMED_NOTICE, 'Your account was deleted.');
    location.reload();
  });
  void renderLinks();
  void renderHistory();
  void renderVoicemails();
  if (me.emailConfirmed) void renderReplies();
}

const PENDING_CODE = 'voxreply-confirm-code';
const CONFIRMED_NOTICE = 'voxreply-confirmed';

/** Names the account confirmed, which need not be the one that opened the link. */
function confirmedMessage(me: Me): string {
  return `${me.email} is confirmed for the account of ${me.name}: your replies are shown below.`;
}

/**
 * The link in the confirmation email lands here as /app#confirm=<code>: the code
 * goes to the server (never in a query string, so not in logs or Referer). It
 * confirms only with the session of the account it was issued to; logged out,
 * the code waits (this tab only) for that account's password.
 */
async function confirmFromLink(loggedIn: boolean): Promise<string | null> {
  const code = /^#confirm=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  const done = sessionStorage.getItem(CONFIRMED_NOTICE);
  sessionStorage.removeItem(CONFIRMED_NOTICE);
  if (!code) return done;
  history.replaceState(null, '', location.pathname + location.search);
  sessionStorage.removeItem(PENDING_CODE);
  try {
    return confirmedMessage(await api<Me>('POST', '/api/confirm', { code }));
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 403 && !loggedIn) {
      sessionStorage.setItem(PENDING_CODE, code);
      return 'To confirm this address, log in below with the password of the account that signed up with it.';
    }
    return failure instanceof Error ? failure.message : String(failure);
  }
}

applyInputLimits();
// Registered logged out too: the log-in page is part of the shell that opens offline.
const worker = registerDeskWorker();
offerInstall(byId<HTMLButtonElement>('install'));
// A mailed reset link shows only its new-password form.
if (!resetFromLink())
  api<{ me: Me | null }>('GET', '/api/session').then(
    async ({ me: session }) => {
      const confirmation = await confirmFromLink(session !== null);
      // Confirming changes what the account may see: start from its new state.
      const me = session && (await api<{ me: Me | null }>('GET', '/api/session')).me;
      if (me) startApp(me, worker);
      else showAuth();
      if (confirmation) byId(me ? 'notice' : 'auth-error').textContent = confirmation;
    },
    (error: unknown) => {
      showAuth();
      byId('auth-error').textContent =
        // fetch's own failure: no answer at all (offline, or the server is down).
        error instanceof TypeError
          ? 'Cannot reach Voxreply: check the connection, then reload this page.'
          : error instanceof Error
            ? error.message
            : String(error);
    },
  );
