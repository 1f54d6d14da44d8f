// Rings by push: while no desk tab is open, the server pushes a call's ring
// (protocol/push.ts) and this worker shows it as a notification with Answer
// and Decline; the push that says the ring ended takes it away again.
import type { DeclineRingBody, DeskPush } from '../../protocol/push.js';
import { api, ApiError } from '../shared/api.js';
import { thisDevice } from '../shared/this-device.js';

type RingPush = Extract<DeskPush, { type: 'ring' }>;

/** What a ring notification carries, for its click and for the push that ends it. */
interface RingData {
  callId: string;
  ringsUntil: number;
  callerName: string;
  subject: string | null;
  /** Set on the notification that replaced a ring once it ended. */
  ended?: true;
}

/**
 * What Chromium and Firefox take besides TypeScript's NotificationOptions
 * (the lib leaves out these standard but not yet universal fields).
 */
interface RingOptions extends NotificationOptions {
  actions?: { action: string; title: string }[];
  vibrate?: number[];
  renotify?: boolean;
}

const ICON = '/app/icons/icon-192.png';

/** A phone's ring, roughly: long buzzes with pauses (ignored where there is no vibrator). */
const VIBRATION = [600, 300, 600, 300, 600, 1200, 600, 300, 600];

export function installPushRings(sw: ServiceWorkerGlobalScope): void {
  sw.addEventListener('push', (event) => {
    const push = parsePush(event.data);
    if (!push) return;
    event.waitUntil(
      push.type === 'ring' ? showRing(sw, push) : endRing(sw, push.callId, push.text),
    );
  });

  sw.addEventListener('notificationclick', (event) => {
    const data = event.notification.data as RingData | null;
    event.notification.close();
    if (!data?.callId) return;
    if (event.action === 'decline') {
      // Nothing to open: the server hears it, and the call moves on at once.
      event.waitUntil(decline(sw, data));
      return;
    }
    // Answer, or a click on the notification itself. A ring that already
    // ended only brings the desk up, which then shows the history.
    event.waitUntil(openDesk(sw, data.ended ? null : data.callId));
  });
}

/** The push's JSON, or null for anything that is not a DeskPush (never shown). */
function parsePush(data: PushMessageData | null): DeskPush | null {
  try {
    const push = data?.json() as Partial<DeskPush> | undefined;
    if (typeof push?.callId !== 'string' || !push.callId) return null;
    if (push.type === 'ring' && typeof push.callerName === 'string') return push as RingPush;
    if (push.type === 'ring_ended' && typeof push.text === 'string') return push as DeskPush;
  } catch {
    // Not JSON: not ours to show.
  }
  return null;
}

async function showRing(sw: ServiceWorkerGlobalScope, push: RingPush): Promise<void> {
  // Delivered late (the device was asleep, the push service queued it): the
  // stage it was for is over, and a ring nobody can answer would only mislead.
  if (push.ringsUntil <= Date.now()) return;
  const data: RingData = {
    callId: push.callId,
    ringsUntil: push.ringsUntil,
    callerName: push.callerName,
    subject: push.subject,
  };
  const options: RingOptions = {
    body: push.subject ?? 'Reply by voice',
    icon: ICON,
    // One notification per call: the next stage's push replaces it and rings again.
    tag: push.callId,
    renotify: true,
    requireInteraction: true,
    vibrate: VIBRATION,
    actions: [
      { action: 'answer', title: 'Answer' },
      { action: 'decline', title: 'Decline' },
    ],
    data,
  };
  await sw.registration.showNotification(
    `${push.callerName} is calling${push.video ? ' with video' : ''}`,
    options,
  );
}

/**
 * The call was answered elsewhere or the caller hung up: the ring gives way to
 * a quiet notification saying so (where the ring was showing; a ring already
 * handled on this device needs no news).
 */
async function endRing(sw: ServiceWorkerGlobalScope, callId: string, text: string): Promise<void> {
  const rings = await sw.registration.getNotifications({ tag: callId });
  if (rings.length === 0) return;
  const ring = rings[0]?.data as RingData | undefined;
  for (const notification of rings) notification.close();
  const about = ring ? [ring.callerName, ring.subject].filter(Boolean).join(': ') : '';
  const data: RingData | undefined = ring && { ...ring, ended: true };
  await sw.registration.showNotification(text, {
    body: about,
    icon: ICON,
    tag: callId,
    silent: true,
    data,
  });
}

/**
 * Brings the desk up: an open desk tab is focused and told to answer (it is
 * connected already, or connects first); else a new one opens at a URL that
 * connects and answers.
 */
async function openDesk(sw: ServiceWorkerGlobalScope, callId: string | null): Promise<void> {
  const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const desk = windows.find((client) => new URL(client.url).pathname === '/app');
  if (desk) {
    const focused = await desk.focus().catch(() => desk);
    if (callId) focused.postMessage({ type: 'answer', callId });
    return;
  }
  await sw.clients.openWindow(callId ? `/app?answer=${encodeURIComponent(callId)}` : '/app');
}

/**
 * Declines the call on this device, as the desk's Decline does. A ring that
 * ended meanwhile (answered elsewhere, the caller hung up) has nothing to
 * decline. Where the server could not be told (offline, signed out), a quiet
 * notification says so: the call would otherwise ring on there unseen.
 */
async function decline(sw: ServiceWorkerGlobalScope, ring: RingData): Promise<void> {
  const deviceId = await thisDevice();
  const body: DeclineRingBody | null = deviceId ? { deviceId } : null;
  try {
    if (!body) throw new Error('this browser does not know which device it is');
    await api('POST', `/api/calls/${encodeURIComponent(ring.callId)}/decline`, body);
  } catch (error) {
    // 404/409: the call no longer rings here; nothing to say.
    if (error instanceof ApiError && (error.status === 404 || error.status === 409)) return;
    console.warn('decline not sent:', error);
    await sw.registration.showNotification('Could not decline: open Voxreply', {
      body: [ring.callerName, ring.subject].filter(Boolean).join(': '),
      icon: ICON,
      tag: ring.callId,
      silent: true,
      data: { ...ring, ended: true } satisfies RingData,
    });
  }
}
