// The desk's service worker (client/sw/): the app shell offline and rings by
// push. Registered on every load of /app; its scope is /app itself (the
// server allows that with Service-Worker-Allowed), so the page is in it.

/** The registration, or null where there are no service workers (or it failed). */
export function registerDeskWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker
    .register('/app/sw.js', { scope: '/app' })
    .catch((error: unknown) => {
      // The desk works without it: no offline start and no rings while closed.
      console.warn('service worker not registered:', error);
      return null;
    });
}

/** Calls `onAnswer` for each Answer pressed on a ring notification while this desk is open. */
export function onNotificationAnswer(onAnswer: (callId: string) => void): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = event.data as { type?: unknown; callId?: unknown } | null;
    if (message?.type === 'answer' && typeof message.callId === 'string' && message.callId)
      onAnswer(message.callId);
  });
}
