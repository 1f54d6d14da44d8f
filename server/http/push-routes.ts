// Web Push for the desk app (issue 18): the server's VAPID public key, and a
// device's push subscription, stored when the device allows notifications
// (and again when its browser rotates it) and removed when the sender turns
// notification rings off for it.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../protocol/errors.js';
import { pushSubscriptionSchema, type PushKey } from '../../protocol/push.js';
import { RequestError } from '../errors.js';
import {
  BROWSER_PUSH_SERVICES,
  endpointProblem,
  type PushServiceHost,
} from '../push/push-endpoints.js';
import { subscriptionKeysProblem } from '../push/subscription-keys.js';
import type { DeviceStore } from '../store/device-store.js';
import type { PushSubscriptionStore } from '../store/push-subscription-store.js';
import { parseBody } from './http-errors.js';
import { deviceParam } from './sender-device-routes.js';

export interface PushRoutesOptions {
  /** The VAPID public key (base64url): PushManager.subscribe's applicationServerKey. */
  publicKey: string;
  devices: DeviceStore;
  subscriptions: PushSubscriptionStore;
  /** Where endpoints may point (PUSH_SERVICE_HOSTS); default: the browsers' push services. */
  pushServiceHosts?: readonly PushServiceHost[];
  /** A device's subscription changed: its live device list shows it. */
  onChanged: (accountId: number) => void;
}

type DeviceRequest = FastifyRequest<{ Params: { deviceId: string } }>;

/** Routes of the authenticated scope: `request.accountId` is the logged-in account. */
export const pushRoutes: FastifyPluginAsync<PushRoutesOptions> = (app, options) => {
  const { devices, subscriptions } = options;

  app.get('/api/push/key', (): PushKey => ({ publicKey: options.publicKey }));

  // The device must be one of the account's (it said device:hello once).
  app.put('/api/devices/:deviceId/push', async (request: DeviceRequest, reply) => {
    const { accountId } = request;
    const deviceId = deviceParam(request);
    const subscription = parseBody(pushSubscriptionSchema, request.body);
    const problem =
      endpointProblem(subscription.endpoint, options.pushServiceHosts ?? BROWSER_PUSH_SERVICES) ??
      subscriptionKeysProblem(subscription.keys);
    if (problem) throw new RequestError(ErrorCode.BadRequest, problem);
    if (!(await devices.find(accountId, deviceId)))
      throw new RequestError(ErrorCode.NotFound, 'no such device');
    if (subscription.replaces !== undefined) {
      const [stored] = await subscriptions.list(accountId, [deviceId]);
      if (stored?.endpoint !== subscription.replaces)
        throw new RequestError(ErrorCode.Conflict, 'notification rings are off for this device');
    }
    await subscriptions.put(accountId, deviceId, subscription);
    request.log.info({ accountId, deviceId }, 'push subscription stored');
    options.onChanged(accountId);
    return reply.code(204).send();
  });

  // Idempotent: a device without a subscription (or unknown) has none after it too.
  app.delete('/api/devices/:deviceId/push', async (request: DeviceRequest, reply) => {
    const { accountId } = request;
    const deviceId = deviceParam(request);
    if (await subscriptions.remove(accountId, deviceId)) {
      request.log.info({ accountId, deviceId }, 'push subscription removed');
      options.onChanged(accountId);
    }
    return reply.code(204).send();
  });

  return Promise.resolve();
};
