// One shape for every HTTP error: {"error":{"code","message"}} with a fitting
// status. Bodies are parsed with their protocol/ schema by `parseBody`.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ErrorCode, type ErrorBody } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import { setBaseHeaders } from './web-guards.js';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  weak_password: 400,
  invalid_token: 400,
  wrong_password: 403,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  rate_limited: 429,
  media_unavailable: 503,
  conflict: 409,
  call_full: 409,
  unsupported_media: 415,
  internal: 500,
};

/** The code for a client error Fastify raised itself (body parser, router, ...). */
function codeFor(status: number): ErrorCode {
  switch (status) {
    case 401:
      return ErrorCode.Unauthorized;
    case 403:
      return ErrorCode.Forbidden;
    case 404:
    case 405:
      return ErrorCode.NotFound;
    case 415:
      return ErrorCode.UnsupportedMedia;
    case 429:
      return ErrorCode.RateLimited;
    default:
      return ErrorCode.BadRequest;
  }
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'body'} ${issue.message}`)
      .join('; ');
    throw new RequestError(ErrorCode.BadRequest, detail);
  }
  return parsed.data;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    let body: ErrorBody;
    let status: number;
    if (error instanceof RequestError) {
      status = STATUS[error.code];
      body = { error: { code: error.code, message: error.message } };
    } else if (
      typeof (error as { statusCode?: unknown }).statusCode === 'number' &&
      (error as { statusCode: number }).statusCode < 500
    ) {
      // Fastify's own client errors: malformed JSON, body too large, ...
      status = (error as { statusCode: number }).statusCode;
      body = { error: { code: codeFor(status), message: (error as Error).message } };
    } else {
      request.log.error({ err: error }, 'request failed');
      status = 500;
      body = { error: { code: ErrorCode.Internal, message: 'internal error' } };
    }
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .send({ error: { code: ErrorCode.NotFound, message: 'not found' } } satisfies ErrorBody),
  );
}

/**
 * Errors Fastify raises before routing (a malformed URL, a failed route
 * constraint) skip the error handler and hooks: the `frameworkErrors` server
 * option answers them in the same shape, with the same base headers.
 */
export function frameworkErrors(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 400;
  setBaseHeaders(reply);
  void reply
    .code(status)
    .send({ error: { code: codeFor(status), message: error.message } } satisfies ErrorBody);
}
