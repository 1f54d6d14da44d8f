// Socket.IO attached to the HTTP server, with the typed events of protocol/.
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Logger } from '../logger.js';
import type { VoxServer, VoxSocket } from './typed-server.js';

export interface SocketServerOptions {
  version: string;
  logger: Logger;
  /** Registers the handlers of each room of the product on a new socket. */
  onConnection: (socket: VoxSocket) => void;
}

export function createSocketServer(http: HttpServer, options: SocketServerOptions): VoxServer {
  const io: VoxServer = new Server(http, {
    serveClient: false,
    // Payloads are small JSON; anything larger is abuse.
    maxHttpBufferSize: 64 * 1024,
    connectionStateRecovery: { maxDisconnectionDuration: 30_000 },
  });
  io.on('connection', (socket) => {
    options.logger.debug({ socket: socket.id }, 'socket connected');
    socket.emit('server:hello', { version: options.version });
    options.onConnection(socket);
  });
  return io;
}
