// Reading the acknowledgements the server answers every socket request with
// (protocol/ack.ts): the data, or the server's message as an error.
import type { Ack } from '../../protocol/ack.js';

/** The data of a successful ack; a refused one throws with the server's message. */
export function unwrap<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(ack.error.message);
  return ack.data;
}

/** An acknowledgement, or an error once `ms` pass without one (a dropped connection). */
export function ackWithin<T>(ack: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer from the server')), ms);
  });
  return Promise.race([ack, timeout]).finally(() => clearTimeout(timer));
}
