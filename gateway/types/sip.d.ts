// Type declarations for the `sip` package (0.0.6), for the parts the gateway
// uses. Messages are plain objects; see its doc/api.markdown.
declare module 'sip' {
  export interface SipUriObject {
    schema?: string;
    user?: string;
    host: string;
    port?: number;
    params: Record<string, string | undefined>;
    headers?: Record<string, string>;
  }

  export interface NameAddr {
    name?: string;
    uri: string;
    params: Record<string, string | undefined>;
  }

  export interface Via {
    version?: string;
    protocol?: string;
    host?: string;
    port?: number;
    params: Record<string, string | undefined>;
  }

  export interface SipHeaders {
    via?: Via[];
    from?: NameAddr;
    to?: NameAddr;
    'call-id'?: string;
    cseq?: { seq: number; method: string };
    contact?: NameAddr[];
    'max-forwards'?: string | number;
    'content-type'?: string;
    'content-length'?: number;
    [name: string]: unknown;
  }

  export interface SipRequest {
    method: string;
    uri: string;
    version?: string;
    headers: SipHeaders;
    content?: string;
  }

  export interface SipResponse {
    status: number;
    reason: string;
    version?: string;
    headers: SipHeaders;
    content?: string;
  }

  export interface Remote {
    protocol: string;
    address: string;
    port: number;
  }

  export interface StackOptions {
    port?: number;
    address?: string;
    publicAddress?: string;
    hostname?: string;
    udp?: boolean;
    tcp?: boolean;
    tls?: import('node:tls').SecureContextOptions & {
      minVersion?: import('node:tls').SecureVersion;
    };
    tls_port?: number;
    /**
     * Our patch (patches/sip+0.0.6.patch): false drops a new request before
     * the stack makes a transaction for it.
     */
    admit?: (request: SipRequest, remote: Remote) => boolean;
    /** Our patch: whether `address`, with `open` connections now, may open another. */
    admitConnection?: (address: string, open: number) => boolean;
    /** Our patch: TCP/TLS connections in all. */
    maxConnections?: number;
    maxBytesHeaders?: number;
    maxContentLength?: number;
    logger?: {
      error?: (error: unknown) => void;
      send?: (message: SipRequest | SipResponse, target: unknown) => void;
      recv?: (message: SipRequest | SipResponse, remote: unknown) => void;
    };
  }

  export interface Stack {
    send(message: SipRequest | SipResponse, onResponse?: (response: SipResponse) => void): void;
    destroy(): void;
    hostname(): string;
  }

  export function create(
    options: StackOptions,
    onRequest: (request: SipRequest, remote: Remote) => void,
  ): Stack;
  export function stringify(message: SipRequest | SipResponse): string;
  /** A stream's data in, whole messages out; `onFlood` when a peer oversteps (the stream is then closed). */
  export function makeStreamParser(
    onMessage: (message: SipRequest | SipResponse) => void,
    onFlood?: () => void,
    maxBytesHeaders?: number,
    maxContentLength?: number,
  ): (data: string) => void;
  export function makeResponse(request: SipRequest, status: number, reason?: string): SipResponse;
  export function generateBranch(): string;
  /** Set by our patch (patches/sip+0.0.6.patch): its revision. */
  export const voxreplyPatch: number | undefined;
  /** Undefined when `uri` is not a SIP URI. */
  export function parseUri(uri: string): SipUriObject | undefined;
}

// The package's digest module (RFC 2617 client side), as the gateway uses it.
declare module 'sip/digest.js' {
  import type { SipRequest, SipResponse } from 'sip';

  /** Filled in by signRequest from the challenge; pass the same object again. */
  export type DigestSession = Record<string, unknown>;

  export interface DigestCredentials {
    user: string;
    password: string;
  }

  /** Adds a Digest challenge to a 401/407 response; fills `session` (keep it). */
  export function challenge<T extends { status: number; headers: Record<string, unknown> }>(
    session: DigestSession,
    response: T,
  ): T;

  /** Checks a request's Authorization/Proxy-Authorization against `session`'s challenge. */
  export function authenticateRequest(
    session: DigestSession,
    request: SipRequest,
    credentials?: DigestCredentials,
  ): boolean;

  export function signRequest(
    session: DigestSession,
    request: SipRequest,
    response?: SipResponse,
    credentials?: DigestCredentials,
  ): DigestSession | null;
}
