// Who a socket acts for. Desk-app sockets carry the session cookie and act for
// its account (`socket.data.accountId`); reply pages are anonymous, and so is
// any socket whose cookie names no live session: none is refused here, each
// handler decides what an anonymous socket may do.
import type { SessionStore } from '../store/session-store.js';
import { channels } from '../calls/channels.js';
import { SESSION_COOKIE } from '../http/session-cookie.js';
import { sameOrigin } from '../http/web-guards.js';
import type { VoxServer } from './typed-server.js';

export interface SocketAuthOptions {
  sessions: SessionStore;
  /** The origin the pages are served from (PUBLIC_URL's). */
  publicOrigin: string;
  /** Parses a Cookie header as the HTTP side does (@fastify/cookie's `parseCookie`). */
  parseCookie: (header: string) => Record<string, string | undefined>;
}

/** Installs the handshake middleware that gives a desk's socket its account. */
export function authenticateSockets(io: VoxServer, options: SocketAuthOptions): void {
  const { sessions, publicOrigin, parseCookie } = options;
  io.use((socket, next) => {
    const token = parseCookie(socket.handshake.headers.cookie ?? '')[SESSION_COOKIE];
    // A page of another origin (even same-site) may not act with the user's session.
    // A browser sends Origin on WebSocket handshakes; other clients send none.
    const { origin, host } = socket.handshake.headers;
    if (!token || (origin !== undefined && !sameOrigin(origin, host, publicOrigin))) {
      next();
      return;
    }
    sessions.accountFor(token).then(
      (accountId) => {
        if (accountId !== undefined) {
          socket.data.accountId = accountId;
          // Logging out ends this session's sockets too (endSessionSockets).
          void socket.join(channels.session(token));
        }
        next();
      },
      (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
    );
  });
}

/** Disconnects every socket opened with these sessions, named by their ids (SessionStore.idOf). */
export function endSessionSocketsById(io: VoxServer, sessionIds: readonly string[]): void {
  for (const id of sessionIds) io.in(channels.sessionId(id)).disconnectSockets(true);
}

/** Disconnects every socket opened with this session (it was logged out). */
export function endSessionSockets(io: VoxServer, sessionToken: string): void {
  io.in(channels.session(sessionToken)).disconnectSockets(true);
}
