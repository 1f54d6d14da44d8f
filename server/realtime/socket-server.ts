// Socket.IO attached to the HTTP server, with the typed events of protocol/.
// Each part of the product adds its own 'connection' listener for its events.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { AckCallback } from '../../protocol/ack.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { SocketData } from '../../protocol/events.js';
import { TOO_MANY_CONNECTIONS } from '../../protocol/http.js';
import type { Logger } from '../logger.js';
import { clientKey } from '../security/client-key.js';
import proxyaddr from '@fastify/proxy-addr';
import type { VoxServer } from './typed-server.js';

export interface SocketServerOptions {
  version: string;
  logger: Logger;
  /** As TRUST_PROXY: whose X-Forwarded-For gives the client address. */
  trustProxy: string[];
  /** Sockets one client address may hold at once (behind TRUST_PROXY, the forwarded one). */
  maxSocketsPerAddress?: number;
  /** engine.io's handshake check (a connection over the HTTP server's cap is refused). */
  allowRequest?: (
    request: IncomingMessage,
    callback: (error: string | null | undefined, ok: boolean) => void,
  ) => void;
}

/** The client's address (behind trusted proxies), as the socket's own node saw it; for rate limits. */
export function clientAddress(socket: { data: SocketData }): string {
  return socket.data.clientAddress ?? 'unknown';
}

export function createSocketServer(http: HttpServer, options: SocketServerOptions): VoxServer {
  const io: VoxServer = new Server(http, {
    serveClient: false,
    // Payloads are small JSON; anything larger is abuse.
    maxHttpBufferSize: 64 * 1024,
    ...(options.allowRequest ? { allowRequest: options.allowRequest } : {}),
    // No connection-state recovery: a reconnect runs the auth middleware again,
    // and a caller's page that drops has hung up (ADR 005); a page whose node
    // died resumes its call on another node explicitly (ADR 016).
  });
  const trust = proxyaddr.compile(options.trustProxy.length > 0 ? options.trustProxy : []);
  const perAddress = new Map<string, number>();
  const maxSockets = options.maxSocketsPerAddress ?? Number.POSITIVE_INFINITY;
  io.use((socket, next) => {
    socket.data.clientAddress = proxyaddr(socket.request, trust);
    // Counted per client address (a trusted proxy's forwarded one; an IPv6 /64
    // is one client), so one client cannot hold thousands of sockets; a NAT's
    // users share the cap.
    const address = clientKey(socket.data.clientAddress);
    const open = perAddress.get(address) ?? 0;
    if (open >= maxSockets) {
      options.logger.info({ address, limit: maxSockets }, 'socket refused: too many from address');
      // The client sees the message in connect_error, and data.code (typed) to act on.
      next(
        Object.assign(new Error(TOO_MANY_CONNECTIONS), { data: { code: ErrorCode.RateLimited } }),
      );
      return;
    }
    perAddress.set(address, open + 1);
    // The engine connection's close, not 'disconnect': a socket refused by a
    // later middleware never connects, and must still give its place back.
    socket.conn.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
    next();
  });
  io.on('connection', (socket) => {
    options.logger.debug({ socket: socket.id }, 'socket connected');
    socket.emit('server:hello', { version: options.version });
    // An event nobody handles (unknown, or a feature that is switched off) still
    // gets an answer, so a client never waits forever.
    socket.onAny((event: string, ...args: unknown[]) => {
      if (socket.listeners(event as 'media:join').length > 0) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') {
        (ack as AckCallback<never>)({
          ok: false,
          error: { code: ErrorCode.NotFound, message: `unknown event ${event}` },
        });
      }
    });
  });
  return io;
}
