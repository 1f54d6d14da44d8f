// Edits of a message's raw header block, for mail the MIME rewriter cannot
// read: the one thing that must still happen is that no copy shows its Bcc list.

/** The message without its top-level Bcc header lines (and their folded continuations). */
export function withoutBccHeader(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const end = headerEnd(text);
  const lines = text.slice(0, end).split(/(?<=\n)/);
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    const continuation = /^[ \t]/.test(line);
    if (!continuation) dropping = /^bcc\s*:/i.test(line);
    if (!dropping) kept.push(line);
  }
  return Buffer.concat([Buffer.from(kept.join(''), 'latin1'), message.subarray(end)]);
}

/** Where the header block ends (the blank line), or the whole text when there is none. */
function headerEnd(text: string): number {
  const match = /\r?\n\r?\n/.exec(text);
  return match ? match.index + match[0].length : text.length;
}
