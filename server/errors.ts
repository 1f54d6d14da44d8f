// The one error the server's domain throws at a client: a failure the client
// caused or may act on, with the typed code (protocol/errors.ts) it is told.
// The socket layer (realtime/validated-handler.ts) and the HTTP layer
// (http/http-errors.ts) both turn it into their own answer; anything else is
// an internal error, logged and never shown.
import type { ErrorCode } from '../protocol/errors.js';

export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
