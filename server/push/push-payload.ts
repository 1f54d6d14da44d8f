// What a push says, as bytes: the DeskPush as JSON, small enough for one
// encrypted record (RFC 8291: push services take 4096 bytes, of which 103 are
// the encryption's own), and a Topic (RFC 8030 5.4) push services accept.
import { createHash } from 'node:crypto';
import type { DeskPush } from '../../protocol/push.js';

/** Comfortably under the 3993 bytes of plaintext one aes128gcm record holds. */
export const MAX_PAYLOAD_BYTES = 3000;

/** Past this, a text field is cut (a long subject must not cost the ring). */
const MAX_TEXT_CHARS = 300;

/** The push as JSON; over MAX_PAYLOAD_BYTES its texts are shortened. */
export function pushPayload(push: DeskPush): string {
  const json = JSON.stringify(push);
  if (Buffer.byteLength(json) <= MAX_PAYLOAD_BYTES) return json;
  const shortened: DeskPush =
    push.type === 'ring'
      ? {
          ...push,
          callerName: clip(push.callerName),
          subject: push.subject === null ? null : clip(push.subject),
        }
      : { ...push, text: clip(push.text) };
  return JSON.stringify(shortened);
}

/** Cut between characters as people see them (an emoji stays whole). */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function clip(text: string): string {
  if (text.length <= MAX_TEXT_CHARS) return text;
  const kept = Array.from(graphemes.segment(text), (part) => part.segment).slice(
    0,
    MAX_TEXT_CHARS - 1,
  );
  return `${kept.join('')}…`;
}

/**
 * A Topic for `key` (a call id): at most 32 characters of the URL-safe
 * base64 alphabet, which push services require; the same key, the same topic.
 */
export function pushTopic(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 32);
}
