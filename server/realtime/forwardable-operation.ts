// A request a socket may make, as a schema and what it runs. Socket handlers
// register each one for their own sockets (validated()), and a node runs the
// same one for a socket of another node whose request was forwarded to it.
import type { z } from 'zod';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';

export interface Operation<Subject, Request = unknown> {
  schema: z.ZodType<Request>;
  run: (subject: Subject, request: Request) => Promise<unknown>;
}

export function operation<Subject, Request, S extends z.ZodType<Request>>(
  schema: S,
  run: (subject: Subject, request: z.output<S>) => Promise<unknown>,
): Operation<Subject, Request> {
  // The request reaching run() has been parsed with this very schema.
  return { schema, run: run as (subject: Subject, request: Request) => Promise<unknown> };
}

/** Runs a forwarded request, parsed again here (the other node may run another version). */
export async function runOperation<Subject, Request>(
  operation: Operation<Subject, Request>,
  event: string,
  subject: Subject,
  payload: unknown,
): Promise<unknown> {
  const parsed = operation.schema.safeParse(payload);
  if (!parsed.success) throw new RequestError(ErrorCode.BadRequest, `invalid ${event}`);
  return operation.run(subject, parsed.data);
}
