// Wraps a Socket.IO request handler: parses the payload with its schema, and
// turns every outcome into a typed ack. Bad input gets `bad_request`; a thrown
// RequestError its own code; anything else `internal` (and is logged).
import type { z } from 'zod';
import type { Ack, AckCallback } from '../../protocol/ack.js';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import type { Logger } from '../logger.js';

export function validated<S extends z.ZodType, R>(
  event: string,
  schema: S,
  logger: Logger,
  run: (request: z.output<S>) => R | Promise<R>,
): (...args: unknown[]) => void {
  return (...args) => {
    // Socket.IO passes the callback as the last argument, wherever that is: a
    // request sent with a callback but no payload arrives as (callback), and
    // one with extra arguments as (payload, extra, callback). Taking the
    // arguments by position left those unanswered forever.
    const last = args.at(-1);
    const ack = typeof last === 'function' ? last : undefined;
    const payload = ack !== undefined && args.length === 1 ? undefined : args[0];
    // A client that sends no callback gets no answer, but its bad input still
    // must not reach the handler.
    const reply: AckCallback<R> = ack ? (ack as AckCallback<R>) : () => {};
    if (ack !== undefined && args.length > 2) {
      reply(failure(ErrorCode.BadRequest, `invalid ${event}: takes one payload`));
      return;
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`)
        .join('; ');
      reply(failure(ErrorCode.BadRequest, `invalid ${event}: ${detail}`));
      return;
    }
    // Synchronous throws take the same path as rejections.
    new Promise<R>((resolve) => resolve(run(parsed.data))).then(
      (data) => reply({ ok: true, data }),
      (error: unknown) => {
        if (error instanceof RequestError) {
          logger.debug({ event, code: error.code, err: error }, 'request refused');
          reply(failure(error.code, error.message));
        } else {
          logger.error({ event, err: error }, 'request failed');
          reply(failure(ErrorCode.Internal, 'internal error'));
        }
      },
    );
  };
}

function failure(code: ErrorCode, message: string): Ack<never> {
  return { ok: false, error: { code, message } };
}
