// What a request must hold before the gateway acts on it. The `sip` package's
// parser lets through headers it could not read (a Route that is not a URI
// becomes an entry without one), and writing such a header back throws: a
// request is checked once, at the edge, instead of at every place that reads it.
import { sendableUri } from './dialog-route.js';
import type { SipRequest } from './sip-stack.js';

export type RequestDefect =
  /** No response can even be written (From or To without a URI): drop it. */
  | { kind: 'unanswerable' }
  /** Answer with this status (400, 505) and nothing else. */
  | { kind: 'refuse'; status: number; reason: string };

/** Headers whose entries must each be a SIP URI we can send to. */
const URI_LISTS = ['contact', 'record-route', 'route'] as const;

/** What is wrong with `request`, or undefined when the gateway may act on it. */
export function requestDefect(request: SipRequest): RequestDefect | undefined {
  const { from, to, cseq } = request.headers;
  if (!hasUri(from) || !hasUri(to) || typeof cseq?.method !== 'string')
    return { kind: 'unanswerable' };
  if (request.version !== '2.0')
    return { kind: 'refuse', status: 505, reason: 'Version Not Supported' };
  if (request.method !== 'ACK' && cseq.method !== request.method)
    return { kind: 'refuse', status: 400, reason: 'CSeq Method Mismatch' };
  for (const name of URI_LISTS) {
    const entries: unknown = request.headers[name];
    if (entries === undefined) continue;
    if (!Array.isArray(entries) || !entries.every(isSipAddress))
      return { kind: 'refuse', status: 400, reason: `Bad ${headerName(name)}` };
  }
  return undefined;
}

function hasUri(address: unknown): boolean {
  return typeof (address as { uri?: unknown } | undefined)?.uri === 'string';
}

function isSipAddress(entry: unknown): boolean {
  return sendableUri((entry as { uri?: unknown } | null)?.uri);
}

function headerName(name: string): string {
  return name.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}
