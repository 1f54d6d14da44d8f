// Putting the device into a body part without knowing its charset: the device
// is written in ASCII only (non-ASCII as HTML character references), which
// reads the same in every charset mail uses except UTF-16/32, where nothing is
// inserted. Bytes are searched and spliced, never decoded and re-encoded.
import { DEVICE_MARKER, type RenderedDevice } from './device.js';
import type { TextPart } from './message-rewriter.js';

/** Charsets in which ASCII bytes are not ASCII text. */
const WIDE_CHARSET = /^(utf-?16|utf-?32|ucs-?2|ucs-?4)/i;

export function canInsertInto(part: TextPart): boolean {
  return !part.charset || !WIDE_CHARSET.test(part.charset);
}

/** Whether a body part already shows a device (ours, from the signature or an earlier relay). */
export function carriesDevice(part: TextPart, replyUrlPrefix: string): boolean {
  const text = part.content.toString('latin1');
  return part.kind === 'html'
    ? text.includes(DEVICE_MARKER)
    : text.includes(`Reply by voice: ${replyUrlPrefix}`);
}

/** The part with the device added: before </body> in HTML, at the end of text. */
export function insertDevice(part: TextPart, device: RenderedDevice): Buffer {
  // latin1 maps bytes to characters one to one, so splicing keeps every other byte.
  const text = part.content.toString('latin1');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (part.kind === 'text') {
    const separator = text.length === 0 || text.endsWith('\n') ? eol : `${eol}${eol}`;
    return Buffer.from(`${text}${separator}${lines(device.text, eol)}${eol}`, 'latin1');
  }
  const html = `${eol}${lines(asciiHtml(device.html), eol)}${eol}`;
  const close = text.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
  const at = close >= 0 ? close : text.length;
  return Buffer.from(text.slice(0, at) + html + text.slice(at), 'latin1');
}

function lines(value: string, eol: string): string {
  return value.replace(/\r?\n/g, eol);
}

/** Non-ASCII characters as numeric references, so any ASCII-based charset shows them. */
function asciiHtml(html: string): string {
  return html.replace(/[^\p{ASCII}]/gu, (char) => `&#${char.codePointAt(0) ?? 63};`);
}
