// The sender's forwarding phone numbers: read and replaced as one ordered list.
import type { FastifyPluginAsync } from 'fastify';
import { phoneListSchema, type PhoneList } from '../../protocol/phones.js';
import type { PhoneStore } from '../store/phone-store.js';
import { parseBody } from './http-errors.js';

export interface PhoneRoutesOptions {
  phones: PhoneStore;
}

/** Routes of the authenticated scope: `request.accountId` is the logged-in account. */
export const phoneRoutes: FastifyPluginAsync<PhoneRoutesOptions> = (app, { phones }) => {
  app.get('/api/me/phones', async (request): Promise<PhoneList> => ({
    phones: await phones.list(request.accountId),
  }));

  // PUT, not PATCH: the order is part of the data, so the desk app sends the
  // whole list. The answer is what was stored (trimmed), read back.
  app.put('/api/me/phones', async (request): Promise<PhoneList> => {
    const { accountId } = request;
    const body = parseBody(phoneListSchema, request.body);
    await phones.replace(accountId, body.phones);
    return { phones: await phones.list(accountId) };
  });

  return Promise.resolve();
};
