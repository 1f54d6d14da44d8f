// The sender's forwarding phone numbers: read and replaced as one ordered list.
import type { FastifyPluginAsync } from 'fastify';
import { phoneListSchema, type PhoneList } from '../../protocol/phones.js';
import type { PhoneStore } from '../store/phone-store.js';
import type { SessionStore } from '../store/session-store.js';
import { parseBody } from './http-errors.js';
import { accountOf } from './session-cookie.js';

export interface PhoneRoutesOptions {
  phones: PhoneStore;
  sessions: SessionStore;
}

export const phoneRoutes: FastifyPluginAsync<PhoneRoutesOptions> = (app, options) => {
  const { phones, sessions } = options;

  app.get('/api/me/phones', async (request): Promise<PhoneList> => {
    const accountId = await accountOf(request, sessions);
    return { phones: await phones.list(accountId) };
  });

  // PUT, not PATCH: the order is part of the data, so the desk app sends the
  // whole list. The answer is what was stored (trimmed), read back.
  app.put('/api/me/phones', async (request): Promise<PhoneList> => {
    const accountId = await accountOf(request, sessions);
    const body = parseBody(phoneListSchema, request.body);
    await phones.replace(accountId, body.phones);
    return { phones: await phones.list(accountId) };
  });

  return Promise.resolve();
};
