// Notification rings: this device rings by Web Push while Voxreply is closed
// (client/sw/push-rings.ts shows the ring). Asked for here only, after sign-in,
// by a button with the reason beside it: a permission prompt nobody asked for
// gets refused, and browsers hold that against the site.
import type { DeviceView } from '../../protocol/presence.js';
import type { PushKey } from '../../protocol/push.js';
import { ackWithin } from '../shared/ack.js';
import { api } from '../shared/api.js';
import { byId, show } from '../shared/dom.js';
import { fromBase64Url, subscriptionBody, subscriptionPath } from '../shared/push-subscription.js';
import { rememberThisDevice } from '../shared/this-device.js';

type PanelState = 'off' | 'on' | 'unavailable' | 'blocked';

const STATUS: Record<PanelState, string> = {
  off: '',
  on: 'This device rings by notification when Voxreply is closed.',
  unavailable: 'Notification rings are not available in this browser.',
  blocked:
    "Notifications are blocked for Voxreply in this browser's site settings. Allow them there to ring this device when Voxreply is closed.",
};

/**
 * How long starting the worker and subscribing may take. A browser whose push
 * service cannot be reached may never answer at all (Chromium without its
 * push service waits on and on): a push service answers in a second or two.
 */
const SUBSCRIBE_MS = 10_000;

export class PushRingsPanel {
  readonly #path: string;
  readonly #deviceId: string;
  /** The worker's registration once the panel is set up; null without push. */
  readonly #ready: Promise<ServiceWorkerRegistration | null>;
  /** The server's list was compared with this browser's subscription, or the person acted. */
  #settled = false;
  readonly #ui = {
    panel: byId('push-rings'),
    why: byId('push-rings-why'),
    on: byId<HTMLButtonElement>('push-rings-on'),
    off: byId<HTMLButtonElement>('push-rings-off'),
    status: byId('push-rings-status'),
  };

  constructor(deviceId: string, worker: Promise<ServiceWorkerRegistration | null>) {
    this.#deviceId = deviceId;
    this.#path = subscriptionPath(deviceId);
    this.#ready = this.#start(worker).catch((error: unknown) => {
      this.#say(messageOf(error), true);
      return null;
    });
    const ui = this.#ui;
    ui.on.addEventListener('click', () => {
      this.#settled = true;
      ui.on.disabled = true;
      this.#say('');
      turnOn(this.#path)
        .then((state) => {
          this.#render(state);
          (state === 'on' ? ui.off : ui.status).focus();
        })
        .catch((error: unknown) => this.#say(messageOf(error), true))
        .finally(() => (ui.on.disabled = false));
    });
    ui.off.addEventListener('click', () => {
      this.#settled = true;
      ui.off.disabled = true;
      void this.#ready
        .then((registration) => turnOff(this.#path, registration))
        .then(() => {
          this.#render('off');
          this.#say('Notification rings are off for this device.');
          ui.on.focus();
        })
        .catch((error: unknown) => this.#say(messageOf(error), true))
        .finally(() => (ui.off.disabled = false));
    });
  }

  /**
   * The server's device list. Once per page load this browser's subscription
   * is made to agree with it: sent again where both have one (the browser may
   * have rotated it), dropped where the server has none (the push service
   * said it was gone, or the sender turned it off from another device), and
   * forgotten by the server where the browser lost it (site data cleared).
   */
  listed(devices: DeviceView[]): void {
    const here = devices.find((device) => device.deviceId === this.#deviceId);
    if (this.#settled || !here) return;
    this.#settled = true;
    void this.#ready
      .then(async (registration) => {
        if (!registration) return;
        const subscription = await registration.pushManager.getSubscription();
        if (subscription && here.notificationRings) {
          if (await madeWithServerKey(subscription)) {
            await api('PUT', this.#path, subscriptionBody(subscription));
          } else {
            // Made with a key the server no longer signs with (its VAPID
            // pair changed): pushes to it would be refused, so make another.
            await subscription.unsubscribe();
            this.#render('off');
            this.#render(await subscribeAndStore(this.#path));
          }
        } else if (subscription) {
          await subscription.unsubscribe();
          this.#render('off');
        } else if (here.notificationRings) {
          await api('DELETE', this.#path);
        }
      })
      .catch((error: unknown) => this.#say(messageOf(error), true));
  }

  /**
   * Signing out: this browser stops ringing for the account (the server
   * forgets the subscription, the browser drops it). Never fails: signing out
   * goes on regardless.
   */
  async signOut(): Promise<void> {
    const registration = await this.#ready;
    await turnOff(this.#path, registration).catch((error: unknown) =>
      console.warn('notification rings not turned off at sign-out:', error),
    );
  }

  async #start(worker: Promise<ServiceWorkerRegistration | null>) {
    const registration = 'PushManager' in window && 'Notification' in window ? await worker : null;
    // For the worker, which cannot read localStorage (Decline on a notification).
    if (registration) await rememberThisDevice(this.#deviceId).catch(() => undefined);
    show(this.#ui.panel, true);
    if (!registration) this.#render('unavailable');
    else if (Notification.permission === 'denied') this.#render('blocked');
    else this.#render((await registration.pushManager.getSubscription()) ? 'on' : 'off');
    return registration;
  }

  #render(state: PanelState): void {
    show(this.#ui.why, state === 'off');
    show(this.#ui.on, state === 'off');
    show(this.#ui.off, state === 'on');
    this.#say(STATUS[state]);
  }

  #say(text: string, error = false): void {
    this.#ui.status.textContent = text;
    this.#ui.status.classList.toggle('error', error);
  }
}

async function turnOn(path: string): Promise<PanelState> {
  const permission = await Notification.requestPermission();
  if (permission === 'denied') return 'blocked';
  if (permission !== 'granted') return 'off';
  return subscribeAndStore(path);
}

/** Subscribes with the server's key and stores the subscription at `path`. */
async function subscribeAndStore(path: string): Promise<PanelState> {
  const { publicKey } = await api<PushKey>('GET', '/api/push/key');
  let subscription: PushSubscription;
  try {
    const subscribing = navigator.serviceWorker.ready.then((ready) =>
      ready.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: fromBase64Url(publicKey),
      }),
    );
    // A subscription that comes after all is sent when the desk next starts.
    subscription = await ackWithin(subscribing, SUBSCRIBE_MS);
  } catch (error) {
    // No push service behind this browser (some builds, some privacy modes,
    // no route to it): the desk rings while it is open, as before.
    console.warn('push subscription failed:', error);
    return 'unavailable';
  }
  try {
    await api('PUT', path, subscriptionBody(subscription));
  } catch (error) {
    // A subscription the server does not know would never ring: drop it.
    await subscription.unsubscribe().catch(() => undefined);
    throw error;
  }
  return 'on';
}

/** Whether the subscription was made with the key the server signs pushes with now. */
async function madeWithServerKey(subscription: PushSubscription): Promise<boolean> {
  const { publicKey } = await api<PushKey>('GET', '/api/push/key');
  const made = subscription.options.applicationServerKey;
  if (!made) return true;
  const ours = fromBase64Url(publicKey);
  const theirs = new Uint8Array(made);
  return theirs.length === ours.length && theirs.every((byte, i) => byte === ours[i]);
}

async function turnOff(
  path: string,
  registration: ServiceWorkerRegistration | null,
): Promise<void> {
  // The server forgets it first: if that fails, the person is told and the
  // browser keeps a subscription that still matches what the server does.
  await api('DELETE', path);
  await (await registration?.pushManager.getSubscription())?.unsubscribe();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
