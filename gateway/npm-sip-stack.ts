// SipStack over the `sip` package (ADR 007).
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import * as sip from 'sip';
import type { SipRequest, SipRequestHandler, SipResponse, SipStack } from './sip-stack.js';

type SipMessage = SipRequest | SipResponse;

export interface NpmSipStackOptions {
  listenIp: string;
  port: number;
  /** Put in Via/Contact instead of listenIp (behind NAT). */
  publicAddress: string | undefined;
  /** SIP over TLS: listen on `port`, connect to TLS trunks trusting the system CAs and `ca`. */
  tls?: { port: number; cert: string; key: string; ca: string | undefined } | undefined;
  onError: (error: unknown) => void;
  /** Every message in and out (LOG_LEVEL=trace): what sngrep would show. */
  onTrace?: ((direction: 'in' | 'out', message: string) => void) | undefined;
}

export function createNpmSipStack(
  options: NpmSipStackOptions,
  onRequest: SipRequestHandler,
): SipStack {
  const host = options.publicAddress ?? options.listenIp;
  const stack = sip.create(
    {
      address: options.listenIp,
      port: options.port,
      publicAddress: host,
      udp: true,
      tcp: true,
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
              send: (message: SipMessage) => options.onTrace?.('out', sip.stringify(message)),
              recv: (message: SipMessage) => options.onTrace?.('in', sip.stringify(message)),
            }
          : {}),
      },
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
        stack.send(request, onResponse);
      } catch (error) {
        // The package throws synchronously on some targets (e.g. its own
        // address); report it as a failed request, never as a crash.
        options.onError(error);
        onResponse({ status: 503, reason: 'Local Error', headers: {} });
      }
    },
    respond: (request, status, reason, extra) => {
      const response = sip.makeResponse(request, status, reason);
      Object.assign(response.headers, extra?.headers);
      if (extra?.content !== undefined) response.content = extra.content;
      stack.send(response);
    },
    close: () => stack.destroy(),
  };
}

/** A fresh Call-ID / tag: random, as RFC 3261 asks. */
export function randomSipToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export { generateBranch, parseUri } from 'sip';
