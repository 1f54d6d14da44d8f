// The HTTP server's own defences against slow and many connections (issue 16,
// web surface 5): a request must arrive whole within a deadline and may not
// stall for long in between; one address may hold only so many connections.
// Fastify's defaults disable Node's request timeout, and Node checks it only
// every 30 s: a body stalled after one byte stayed open for 330 s and more,
// and 2,000 sockets from one address were all accepted.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import http from 'node:http';
import type { Socket } from 'node:net';
import proxyaddr from '@fastify/proxy-addr';
import { ErrorCode, type ErrorBody } from '../../protocol/errors.js';
import { TOO_MANY_CONNECTIONS } from '../../protocol/http.js';
import type { Logger } from '../logger.js';
import { clientKey } from '../security/client-key.js';

export interface ConnectionGuardOptions {
  /** No byte from the client for this long, mid-request or between requests: closed. */
  idleTimeoutMs: number;
  /** Headers and body must have arrived within this long. */
  requestTimeoutMs: number;
  /** Open TCP connections one address may hold (trusted proxies are not counted). */
  maxConnectionsPerAddress: number;
  /** As TRUST_PROXY: a proxy's connections carry many clients and are not capped here. */
  trustProxy: string[];
  logger: Logger;
}

export interface ConnectionGuard {
  /** For Fastify's `serverFactory`. */
  serverFactory: (handler: RequestListener) => http.Server;
  /** For Fastify's `clientErrorHandler`: Node's own refusals in the app's error shape. */
  clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => void;
  /** For engine.io's `allowRequest`: a Socket.IO handshake on a refused connection. */
  allowRequest: (
    request: IncomingMessage,
    callback: (error: string | null | undefined, ok: boolean) => void,
  ) => void;
  /** Open connections per address now (tests and metrics). */
  openConnections: () => number;
}

function rawAnswer(status: number, reason: string, code: ErrorCode, message: string): string {
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

const TIMEOUT_ANSWER = rawAnswer(
  408,
  'Request Timeout',
  ErrorCode.BadRequest,
  'the request took too long to arrive',
);

export function connectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const { logger } = options;
  const trusted = proxyaddr.compile(options.trustProxy);
  const perAddress = new Map<string, number>();
  /** Connections over the cap: each gets the refusal for its first request. */
  const refused = new WeakSet<Socket>();

  const refusal = JSON.stringify({
    error: { code: ErrorCode.RateLimited, message: TOO_MANY_CONNECTIONS },
  } satisfies ErrorBody);
  const refuse = (response: ServerResponse) => {
    response.shouldKeepAlive = false;
    response.writeHead(429, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(refusal),
      connection: 'close',
    });
    response.end(refusal);
  };

  const headersTimeoutMs = Math.min(
    options.requestTimeoutMs,
    Math.max(1000, Math.min(30_000, options.idleTimeoutMs / 2)),
  );
  const serverFactory = (handler: RequestListener): http.Server => {
    const server = http.createServer(
      {
        requestTimeout: options.requestTimeoutMs,
        // Headers come in one packet from real clients; half the idle time lets
        // Node answer a header stall with its 408 (through clientErrorHandler)
        // before the idle timer below would close the connection silently.
        headersTimeout: headersTimeoutMs,
        // Node checks the two deadlines above on this tick (30 s by default, which
        // let a stalled request live 30 s past its deadline).
        connectionsCheckingInterval: Math.max(100, Math.min(1000, headersTimeoutMs / 4)),
        // An idle keep-alive connection is closed (silently) after the idle time.
        keepAliveTimeout: options.idleTimeoutMs,
      },
      (request, response) => {
        if (refused.has(request.socket)) {
          refuse(response);
          return;
        }
        handler(request, response);
      },
    );

    server.on('connection', (socket: Socket) => {
      const peer = socket.remoteAddress ?? 'unknown';
      // A trusted proxy's connections carry many clients; the Socket.IO cap
      // (by forwarded address) and the rate limits see those.
      if (trusted(peer, 0)) return;
      // Counted per client (an IPv6 /64 is one), not per exact address.
      const address = clientKey(peer);
      const open = (perAddress.get(address) ?? 0) + 1;
      perAddress.set(address, open);
      socket.once('close', () => {
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left <= 0) perAddress.delete(address);
        else perAddress.set(address, left);
      });
      if (open > options.maxConnectionsPerAddress) {
        refused.add(socket);
        // Its first request is answered 429; one that never sends any goes soon.
        socket.setTimeout(Math.min(2000, options.idleTimeoutMs), () => socket.destroy());
        if (open === options.maxConnectionsPerAddress + 1)
          logger.warn(
            { address, limit: options.maxConnectionsPerAddress },
            'connection cap reached: refusing further connections from this address',
          );
      }
    });

    // Idle: no byte either way for idleTimeoutMs. With a listener here Node
    // leaves the socket to us (it would otherwise destroy it without a word).
    server.setTimeout(options.idleTimeoutMs, (socket: Socket) => {
      // The exchange in progress, as Node's own socket timeout finds it
      // (_httpMessage): engine.io answers its paths before any listener of ours.
      const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      const request: IncomingMessage | undefined = response?.req;
      // No exchange: an idle keep-alive connection, or one that never sent
      // whole headers (those got Node's 408 at headersTimeout already).
      if (!response) {
        socket.destroy();
        return;
      }
      // A body stalled mid-way: say so, then close.
      if (request && !request.complete && !response.headersSent) {
        logger.info(
          { address: socket.remoteAddress, method: request.method, url: request.url },
          'request stalled: closed',
        );
        socket.end(TIMEOUT_ANSWER);
        socket.destroySoon();
        return;
      }
      // The server is still working on a whole request (a long poll, a slow
      // handler): its answer will come and reset the timer.
      if (!response.headersSent) return;
      // An answer the client stopped reading.
      socket.destroy();
    });
    return server;
  };

  const clientErrorHandler = (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      socket.write(
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? TIMEOUT_ANSWER
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? rawAnswer(
                431,
                'Request Header Fields Too Large',
                ErrorCode.BadRequest,
                'headers too large',
              )
            : rawAnswer(400, 'Bad Request', ErrorCode.BadRequest, 'malformed request'),
      );
    }
    logger.debug({ err: error, address: socket.remoteAddress }, 'client error');
    socket.destroy();
  };

  const allowRequest: ConnectionGuard['allowRequest'] = (request, callback) => {
    if (refused.has(request.socket)) callback(TOO_MANY_CONNECTIONS, false);
    else callback(null, true);
  };

  return {
    serverFactory,
    clientErrorHandler,
    allowRequest,
    openConnections: () => [...perAddress.values()].reduce((sum, n) => sum + n, 0),
  };
}
