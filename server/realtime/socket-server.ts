// Socket.IO attached to the HTTP server, with the typed events of protocol/.
// Each part of the product adds its own 'connection' listener for its events.
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { AckCallback } from '../../protocol/ack.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { SocketData } from '../../protocol/events.js';
import type { Logger } from '../logger.js';
import proxyaddr from '@fastify/proxy-addr';
import type { VoxServer } from './typed-server.js';

export interface SocketServerOptions {
  version: string;
  logger: Logger;
  /** As TRUST_PROXY: whose X-Forwarded-For gives the client address. */
  trustProxy: string[];
}

/** The client's address, for rate limits: the peer, or what a trusted proxy says. */
/** The client's address (behind trusted proxies), as the socket's own node saw it. */
export function clientAddress(socket: { data: SocketData }): string {
  return socket.data.clientAddress ?? 'unknown';
}

export function createSocketServer(http: HttpServer, options: SocketServerOptions): VoxServer {
  const io: VoxServer = new Server(http, {
    serveClient: false,
    // Payloads are small JSON; anything larger is abuse.
    maxHttpBufferSize: 64 * 1024,
    // No connection-state recovery: a reconnect runs the auth middleware again,
    // and a caller's page that drops has hung up (ADR 005); a page whose node
    // died resumes its call on another node explicitly (ADR 016).
  });
  const trust = proxyaddr.compile(options.trustProxy.length > 0 ? options.trustProxy : []);
  io.use((socket, next) => {
    socket.data.clientAddress = proxyaddr(socket.request, trust);
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
