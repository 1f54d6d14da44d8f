// The desk app: the sender's account, this device, incoming calls, settings.
import '../shared/base.css';
import type { Me } from '../../protocol/accounts.js';
import { api } from '../shared/api.js';
import { connect } from '../shared/connection.js';
import { byId, show } from '../shared/dom.js';
import { unwrap } from '../shared/media-session.js';
import { trackActivity } from './activity.js';
import { CallUi } from './call-ui.js';
import { DeskChat } from './chat.js';
import { deviceId, deviceLabel, platform, setDeviceLabel } from './device-identity.js';
import { bindMailRelay } from './mail-relay.js';
import { bindSignature } from './signature.js';
import { renderVoicemails, showNewVoicemail } from './voicemails.js';
import {
  bindLinkForm,
  bindPhones,
  onOpenChat,
  bindSettings,
  renameDevice,
  renderDevices,
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

function startApp(me: Me): void {
  show(byId('auth'), false);
  show(byId('app'), true);
  byId('me').textContent = `${me.name} (${me.email})`;
  // Until the mailed link comes back the account sees none of the address's
  // replies: say why, and where to look.
  const unconfirmed = byId('unconfirmed');
  unconfirmed.textContent = `Check your mail: a confirmation link was sent to ${me.email}. Your replies are shown once you open it.`;
  show(unconfirmed, !me.emailConfirmed);
  const socket = connect(byId('connection'));
  const id = deviceId();
  const calls = new CallUi(socket);
  calls.onCallFinished = () => void renderHistory();

  socket.on('connect', () => {
    socket
      .emitWithAck('device:hello', { deviceId: id, label: deviceLabel(), platform: platform() })
      .then((ack) => renderDevices(socket, unwrap(ack), id))
      .catch((error: unknown) => (byId('notice').textContent = String(error)));
  });
  socket.on('devices:list', (devices) => renderDevices(socket, devices, id));
  const chat = new DeskChat(socket);
  onOpenChat((link) => void chat.open(link));
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
    void renameDevice(socket, id, value).then((devices) => renderDevices(socket, devices, id));
  });
  bindSettings(me, (updated) => (byId('me').textContent = `${updated.name} (${updated.email})`));
  bindLinkForm();
  bindPhones().catch((error: unknown) => (byId('phones-status').textContent = String(error)));
  bindSignature().catch((error: unknown) => (byId('signature-status').textContent = String(error)));
  bindMailRelay().catch((error: unknown) => (byId('new-app-password').textContent = String(error)));
  byId('logout').addEventListener(
    'click',
    () => void api('POST', '/api/logout').then(() => location.reload()),
  );
  if ('Notification' in window && Notification.permission === 'default') {
    window.addEventListener('pointerdown', () => void Notification.requestPermission(), {
      once: true,
    });
  }
  void renderLinks();
  void renderHistory();
  void renderVoicemails();
  if (me.emailConfirmed) void renderReplies();
}

/**
 * The link in the confirmation email lands here as /app#confirm=<code>: the code
 * goes to the server (never in a query string, so not in logs or Referer).
 */
async function confirmFromLink(): Promise<string | null> {
  const code = /^#confirm=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  if (!code) return null;
  history.replaceState(null, '', location.pathname + location.search);
  try {
    const me = await api<Me>('POST', '/api/confirm', { code });
    return `${me.email} is confirmed: your replies are shown below.`;
  } catch (failure) {
    return failure instanceof Error ? failure.message : String(failure);
  }
}

const confirmation = await confirmFromLink();
api<{ me: Me | null }>('GET', '/api/session').then(
  ({ me }) => {
    if (me) startApp(me);
    else showAuth();
    if (confirmation) byId(me ? 'notice' : 'auth-error').textContent = confirmation;
  },
  (error: unknown) => {
    showAuth();
    byId('auth-error').textContent = error instanceof Error ? error.message : String(error);
  },
);
