// Forgotten passwords (public): ask for a reset link, and use it (ADR 025).
import type { FastifyPluginAsync } from 'fastify';
import {
  FORGOT_PASSWORD_MESSAGE,
  forgotPasswordSchema,
  resetPasswordSchema,
  type ForgotPasswordAnswer,
} from '../../protocol/account-security.js';
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import { hashPassword } from '../security/password.js';
import { TooManyChecksError } from '../security/password-checks.js';
import type { PasswordResets } from '../security/password-reset.js';
import type { RateLimits } from '../security/rate-limits.js';
import { parseBody } from './http-errors.js';

export interface PasswordRoutesOptions {
  resets: PasswordResets;
  limits: RateLimits;
  /** Told which sessions a reset ended, so their open sockets close. */
  onSessionsEnded: (sessionIds: string[]) => void;
}

export const passwordRoutes: FastifyPluginAsync<PasswordRoutesOptions> = (app, options) => {
  const { resets, limits } = options;

  // One answer for every address, given before the lookup and the mail run
  // (PasswordResets.request): status, body and timing say nothing of accounts.
  app.post('/api/password/forgot', async (request, reply): Promise<ForgotPasswordAnswer> => {
    await limits.take(limits.passwordResetPerIp, request.ip);
    const { email } = parseBody(forgotPasswordSchema, request.body);
    resets.request(email);
    return reply.code(202).send({ message: FORGOT_PASSWORD_MESSAGE });
  });

  app.post('/api/password/reset', async (request, reply) => {
    await limits.take(limits.passwordResetPerIp, request.ip);
    const { token, password } = parseBody(resetPasswordSchema, request.body);
    const { accountId, endedSessions } = await resets.reset(token, password, (plain) =>
      limits.passwordChecks.run(request.ip, () => hashPassword(plain)).catch(tooManyAtOnce),
    );
    options.onSessionsEnded(endedSessions);
    request.log.info({ accountId, sessionsEnded: endedSessions.length }, 'password reset');
    return reply.code(204).send();
  });

  return Promise.resolve();
};

/** A client with its share of password checks in flight is told to slow down. */
export function tooManyAtOnce(error: unknown): never {
  if (error instanceof TooManyChecksError)
    throw new RequestError(ErrorCode.RateLimited, 'too many log-ins at once; try again shortly');
  throw error;
}
