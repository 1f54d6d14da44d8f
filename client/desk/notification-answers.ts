// Answer pressed on a ring notification reaches the desk one of two ways: an
// open desk tab gets a message from the service worker, or a new one opens at
// /app?answer=<callId>. Either way the call is answered once this device has
// said hello on a live connection, because only then can the server tell
// whether the call still rings it.

export class NotificationAnswers {
  readonly #answer: (callId: string) => Promise<void>;
  #pending: string | null = null;
  #ready = false;

  constructor(answer: (callId: string) => Promise<void>) {
    this.#answer = answer;
  }

  /** Answer this call as soon as the device is connected (now if it is). */
  request(callId: string): void {
    this.#pending = callId;
    this.#flush();
  }

  /** The device said hello on this connection (true), or the connection is gone (false). */
  deviceReady(ready: boolean): void {
    this.#ready = ready;
    this.#flush();
  }

  #flush(): void {
    if (!this.#ready || this.#pending === null) return;
    const callId = this.#pending;
    this.#pending = null;
    void this.#answer(callId);
  }
}

/**
 * The call named by /app?answer=<callId>, taken out of the address so that a
 * reload (or a bookmark) does not answer again.
 */
export function answerRequestedByUrl(): string | null {
  const url = new URL(location.href);
  const callId = url.searchParams.get('answer');
  if (callId === null) return null;
  url.searchParams.delete('answer');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return callId || null;
}
