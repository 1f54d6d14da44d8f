// A 2xx to an INVITE (first or re-INVITE) over UDP is the answering user
// agent's to resend until the ACK comes (RFC 3261 section 13.3.1.4): T1,
// doubling up to T2, giving up after 64*T1. The `sip` package leaves it to us.

/** RFC 3261 timers: T1, T2 and 64*T1. */
const T1_MS = 500;
const T2_MS = 4_000;
const ACK_WAIT_MS = 64 * T1_MS;

export class AnswerRetransmission {
  #timer: NodeJS.Timeout | undefined;
  readonly #deadline: NodeJS.Timeout;

  /** Sends now and again until acked(); `onNoAck` after 32 s without the ACK. */
  constructor(send: () => void, onNoAck: () => void) {
    send();
    let interval = T1_MS;
    const again = (): void => {
      send();
      interval = Math.min(interval * 2, T2_MS);
      this.#timer = setTimeout(again, interval);
    };
    this.#timer = setTimeout(again, interval);
    this.#deadline = setTimeout(() => {
      this.stop();
      onNoAck();
    }, ACK_WAIT_MS);
  }

  /** The ACK came (or the dialog ended): stop. */
  stop(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#deadline);
  }
}
