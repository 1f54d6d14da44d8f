// Where requests inside a dialog go (RFC 3261 section 12.1): the peer's
// Contact, through the route set its Record-Route made. Both come from the
// peer's message, so neither is trusted: the `sip` package's parser turns a
// header value that is no URI into an entry without one, and the stack then
// throws deep inside on every request sent there (an ACK or BYE never leaves).
// Each URI is checked with the package's own parser before we use it.
import { parseUri } from './npm-sip-stack.js';
import type { SipRequest, SipResponse } from './sip-stack.js';
import type { SipUriObject } from 'sip';

export interface DialogRoute {
  /** The peer's Contact, or `fallback` when it has none we can send to. */
  target: string | undefined;
  /** Route headers for our requests (empty when the Record-Route was unusable). */
  routes: unknown[];
  /** An entry of the Record-Route was no URI: the route set was left out. */
  routeUnusable: boolean;
}

/**
 * The route of the dialog `message` makes: a 2xx to our INVITE (`uac`: the
 * Record-Route reversed) or an INVITE we answer (`uas`: in order).
 */
export function dialogRoute(
  message: SipRequest | SipResponse,
  fallback: string | undefined,
  side: 'uac' | 'uas',
): DialogRoute {
  const contact = message.headers.contact?.[0]?.uri;
  const recordRoute: unknown = message.headers['record-route'];
  const entries = Array.isArray(recordRoute) ? (recordRoute as unknown[]) : [];
  const routeUnusable =
    (recordRoute !== undefined && !Array.isArray(recordRoute)) ||
    !entries.every((entry) => sendableUri((entry as { uri?: unknown } | null)?.uri));
  const routes = routeUnusable ? [] : side === 'uac' ? [...entries].reverse() : entries;
  return { target: sendableUri(contact) ? contact : fallback, routes, routeUnusable };
}

/**
 * A URI the stack can send to: a string its parser reads, or one it parsed
 * already (Route and Record-Route entries come parsed), with a port a socket
 * takes (the parser reads any digits: 99999 would fail only when sent to).
 */
export function sendableUri(uri: unknown): uri is string | object {
  const parsed = typeof uri === 'string' ? parseUri(uri) : (uri as Partial<SipUriObject> | null);
  if (typeof parsed?.host !== 'string') return false;
  const port = parsed.port;
  return port === undefined || Number.isNaN(port) || validPort(port);
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
