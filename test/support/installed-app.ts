// The desk app as an installed web app sees it, in a real Chromium: a
// persistent profile (an ordinary Playwright context is incognito, which
// Chromium never counts as installable and gives no push), the service
// worker through the DevTools protocol, and the notifications it shows.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

export interface AppBrowser {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close: () => Promise<void>;
}

/**
 * A Chromium with its own throw-away profile; `cookie` ("name=value") logs it
 * in at `baseUrl`; `microphoneWav`: what its fake microphone plays.
 */
export async function launchAppBrowser(
  baseUrl: string,
  cookie?: string,
  options: { microphoneWav?: string } = {},
): Promise<AppBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'voxreply-profile-'));
  const args = [...CHROMIUM_ARGS];
  if (options.microphoneWav)
    args.push(`--use-file-for-fake-audio-capture=${options.microphoneWav}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
  });
  if (cookie) {
    const [name, value] = cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: baseUrl }]);
  }
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the desk's service worker serves `page` and is done activating
 * (it claims the page while it activates; a push then can still be lost).
 */
export async function waitForWorkerControl(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const worker = navigator.serviceWorker.controller;
      return worker?.scriptURL.endsWith('/app/sw.js') === true && worker.state === 'activated';
    },
    undefined,
    { timeout: 15_000 },
  );
}

/** What `registration.getNotifications()` finds, as a test compares it. */
export interface ShownNotification {
  title: string;
  body: string;
  tag: string;
  requireInteraction: boolean;
  actions: string[];
  data: unknown;
}

/** The desk worker's notifications, seen from `page`: any page of the server's origin. */
export function shownNotifications(page: Page): Promise<ShownNotification[]> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration('/app');
    if (!registration) throw new Error('the desk app is not installed in this browser');
    return (await registration.getNotifications()).map((notification) => ({
      title: notification.title,
      body: notification.body,
      tag: notification.tag,
      requireInteraction: notification.requireInteraction,
      // Not in TypeScript's DOM types; Chromium has it.
      actions: (
        (notification as { actions?: { action: string; title: string }[] }).actions ?? []
      ).map((action) => `${action.action}:${action.title}`),
      data: notification.data as unknown,
    }));
  });
}

/**
 * How long a push takes to be handled (a notification shown) before the test
 * looks. Looking sooner can lose it: Chromium's getNotifications() drops
 * from its database what its display has not registered yet, so a call that
 * overlaps a notification being shown removes that notification for good.
 */
const PUSH_SETTLE_MS = 400;

/**
 * Pushes to the page's service worker as a push service would, without one:
 * DevTools' ServiceWorker.deliverPushMessage, with the registration's id that
 * ServiceWorker.enable reports. Resolves once the push had time to be handled.
 */
export async function pushDeliverer(page: Page): Promise<(message: object) => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  const registrationId = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const desk = registrations.find(
        (registration) => registration.scopeURL === `${origin}/app` && !registration.isDeleted,
      );
      if (desk) resolve(desk.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const id = await registrationId;
  return async (message) => {
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin,
      registrationId: id,
      data: JSON.stringify(message),
    });
    await new Promise((resolve) => setTimeout(resolve, PUSH_SETTLE_MS));
  };
}

/** What the worker did with its windows for a pressed notification. */
export interface PressedNotification {
  /** The addresses it asked to open. */
  opened: string[];
  /** Why Chromium refused each, if it did. */
  refused: string[];
}

/**
 * What Chromium does when a button of the notification tagged `tag` is
 * pressed: the worker's notificationclick. Dispatched here, as no DevTools
 * command clicks a notification; and as the click is not a person's,
 * Chromium refuses the worker a new window (clients.openWindow), so a test
 * opens the address the worker asked for, as the browser would have.
 */
export async function pressNotification(
  context: BrowserContext,
  tag: string,
  action: 'answer' | 'decline' | '',
): Promise<PressedNotification> {
  const [worker] = context.serviceWorkers();
  if (!worker) throw new Error('no service worker');
  return worker.evaluate(
    async ([wanted, pressed]) => {
      const scope = self as unknown as {
        registration: ServiceWorkerRegistration;
        clients: { openWindow: (url: string) => Promise<unknown> };
        NotificationEvent: new (type: string, init: object) => Event;
      };
      const opened: string[] = [];
      const refused: string[] = [];
      const openWindow = scope.clients.openWindow.bind(scope.clients);
      scope.clients.openWindow = (url) => {
        opened.push(new URL(url, self.location.origin).href);
        return openWindow(url).catch((error: unknown) => {
          refused.push(error instanceof Error ? error.message : String(error));
          throw error;
        });
      };
      try {
        const [notification] = await scope.registration.getNotifications({ tag: wanted });
        if (!notification) throw new Error(`no notification ${wanted}`);
        self.dispatchEvent(
          new scope.NotificationEvent('notificationclick', { notification, action: pressed }),
        );
        // The handler's work is asynchronous; what it asks to open comes soon after.
        await new Promise((resolve) => setTimeout(resolve, 500));
        return { opened, refused };
      } finally {
        scope.clients.openWindow = openWindow;
      }
    },
    [tag, action] as const,
  );
}
