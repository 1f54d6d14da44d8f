// SipStack over the `sip` package (ADR 007), with our patch to it
// (patches/sip+0.0.6.patch, ADR 018). Every callback the package calls is
// guarded here: no message and no log level may throw out of the stack.
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import * as sip from 'sip';
import type { Remote, SipRequest, SipRequestHandler, SipResponse, SipStack } from './sip-stack.js';

type SipMessage = SipRequest | SipResponse;

export interface NpmSipStackOptions {
  listenIp: string;
  port: number;
  /** Put in Via/Contact instead of listenIp (behind NAT). */
  publicAddress: string | undefined;
  /** SIP over TLS: listen on `port`, connect to TLS trunks trusting the system CAs and `ca`. */
  tls?: { port: number; cert: string; key: string; ca: string | undefined } | undefined;
  onError: (error: unknown) => void;
  /**
   * Whether to take a new request at all; false drops it before the stack
   * makes a transaction for it (nothing is kept, nothing answered).
   */
  admit?: ((request: SipRequest, remote: Remote) => boolean) | undefined;
  /** Whether `address`, with `open` TCP/TLS connections now, may open one more. */
  admitConnection?: ((address: string, open: number) => boolean) | undefined;
  /** Every message in and out (LOG_LEVEL=trace): what sngrep would show. */
  onTrace?: ((direction: 'in' | 'out', message: string) => void) | undefined;
}

/** The revision of patches/sip+0.0.6.patch this code needs. */
const SIP_PATCH = 3;

/**
 * Bounds on what one peer's stream may make us buffer. A SIP message's
 * headers are rarely past a few kB and its body (SDP) past 10 kB; the
 * package's defaults (60 kB and 600 kB) let a few thousand half-sent
 * messages exhaust the heap.
 */
const MAX_HEADER_BYTES = 32 * 1024;
const MAX_CONTENT_BYTES = 64 * 1024;
/** TCP and TLS connections in all (each a file descriptor and a buffer). */
const MAX_CONNECTIONS = 512;

export function createNpmSipStack(
  options: NpmSipStackOptions,
  onRequest: SipRequestHandler,
): SipStack {
  // Unpatched (installed with --ignore-scripts), the package would ignore our
  // flood limit and keep its old timers and parser without a word.
  if (sip.voxreplyPatch !== SIP_PATCH)
    throw new Error(
      'the sip package is not patched (patches/sip+0.0.6.patch): reinstall with npm ci, which applies it',
    );
  const host = options.publicAddress ?? options.listenIp;
  const stack = sip.create(
    {
      address: options.listenIp,
      port: options.port,
      publicAddress: host,
      udp: true,
      tcp: true,
      maxBytesHeaders: MAX_HEADER_BYTES,
      maxContentLength: MAX_CONTENT_BYTES,
      maxConnections: MAX_CONNECTIONS,
      ...(options.admitConnection
        ? { admitConnection: guarded(options.admitConnection, false, options.onError) }
        : {}),
      ...(options.tls
        ? {
            tls_port: options.tls.port,
            tls: {
              cert: options.tls.cert,
              key: options.tls.key,
              minVersion: 'TLSv1.2' as const,
              // Node's own CAs plus the operator's (a carrier's private CA).
              ...(options.tls.ca ? { ca: [...tls.rootCertificates, options.tls.ca] } : {}),
            },
          }
        : {}),
      logger: {
        error: options.onError,
        ...(options.onTrace
          ? {
              send: (message: SipMessage) => options.onTrace?.('out', printable(message)),
              recv: (message: SipMessage) => options.onTrace?.('in', printable(message)),
            }
          : {}),
      },
      ...(options.admit ? { admit: guarded(options.admit, false, options.onError) } : {}),
    },
    (request, remote) => {
      try {
        onRequest(request, remote);
      } catch (error) {
        options.onError(error);
        stack.send(sip.makeResponse(request, 500, 'Server Internal Error'));
      }
    },
  );
  return {
    host,
    port: options.port,
    contact: (transport) =>
      transport === 'tls' && options.tls
        ? `sip:voxreply@${host}:${String(options.tls.port)};transport=tls`
        : `sip:voxreply@${host}:${String(options.port)}${transport === 'tcp' ? ';transport=tcp' : ''}`,
    request: (request, onResponse) => {
      try {
        // The stack's own answers (408 on timeout, 503 unreachable) are made
        // from the request: they share its Via list; a peer's never does.
        const report = (response: SipResponse): void =>
          onResponse(response, response.headers.via === request.headers.via);
        stack.send(request, guarded(report, undefined, options.onError));
      } catch (error) {
        // The package throws synchronously on some targets (e.g. its own
        // address); report it as a failed request, never as a crash.
        options.onError(error);
        onResponse({ status: 503, reason: 'Local Error', headers: {} }, true);
      }
    },
    respond: (request, status, reason, extra) => {
      const response = sip.makeResponse(request, status, reason);
      // Its transaction keeps the answer (32 s over UDP): a copy of the
      // request's headers, since a V8 substring keeps the whole text it was
      // cut from alive (a stranger's 60 kB datagram, kept per answer).
      response.headers = structuredClone(response.headers);
      // We speak SIP/2.0 whatever the request said (a 505 included).
      response.version = '2.0';
      Object.assign(response.headers, extra?.headers);
      const to = response.headers.to;
      // Every response but 100 carries our To tag (RFC 3261 8.2.6.2); a
      // dialog passes its own, anything else gets a fresh one.
      if (status > 100 && to && !to.params.tag)
        response.headers.to = { ...to, params: { ...to.params, tag: randomSipToken() } };
      if (extra?.content !== undefined) response.content = extra.content;
      stack.send(response);
    },
    close: () => stack.destroy(),
  };
}

/**
 * A callback the package calls, made safe: what it throws is reported, and
 * the package gets `fallback` instead (its callers do not expect a throw).
 */
function guarded<A extends unknown[], R>(
  callback: (...args: A) => R,
  fallback: R,
  onError: (error: unknown) => void,
): (...args: A) => R {
  return (...args) => {
    try {
      return callback(...args);
    } catch (error) {
      onError(error);
      return fallback;
    }
  };
}

/**
 * A message as text for the trace log. The package's stringify throws on
 * what its parser lets through (a Route that is not a URI); then the parsed
 * form is logged instead.
 */
function printable(message: SipMessage): string {
  try {
    return sip.stringify(message);
  } catch (error) {
    return `(unprintable: ${String(error)}) ${JSON.stringify(message)}`;
  }
}

/** A fresh Call-ID / tag: random, as RFC 3261 asks. */
export function randomSipToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export { generateBranch, parseUri } from 'sip';
