// A sender's own devices over HTTP, for what needs no open desk on them:
// forgetting a device (an old laptop, a lost phone: it is no longer listed
// and never rung by notification again), and declining a ring from a
// device's notification while its desk app is closed (client/sw/push-rings.ts).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { callIdRequestSchema } from '../../protocol/call.js';
import { ErrorCode } from '../../protocol/errors.js';
import { deviceIdSchema } from '../../protocol/presence.js';
import { declineRingSchema } from '../../protocol/push.js';
import { RequestError } from '../errors.js';
import type { DeviceDirectory } from '../presence/device-directory.js';
import type { DeviceStore } from '../store/device-store.js';
import { parseBody } from './http-errors.js';

export interface SenderDeviceRoutesOptions {
  devices: DeviceStore;
  /** Which devices are connected now, on any node. */
  directory: Pick<DeviceDirectory, 'connectedActivities'>;
  /** Declines the call's ring on the device, on whichever node runs the call. */
  declineRing: (accountId: number, deviceId: string, callId: string) => Promise<void>;
  /** The account's device list changed: its open desks show it. */
  onChanged: (accountId: number) => void;
}

type DeviceRequest = FastifyRequest<{ Params: { deviceId: string } }>;
type CallRequest = FastifyRequest<{ Params: { callId: string } }>;

/** Routes of the authenticated scope: `request.accountId` is the logged-in account. */
export const senderDeviceRoutes: FastifyPluginAsync<SenderDeviceRoutesOptions> = (app, options) => {
  const { devices, directory } = options;

  // Idempotent: a device already forgotten (or never known) is gone after it too.
  app.delete('/api/devices/:deviceId', async (request: DeviceRequest, reply) => {
    const { accountId } = request;
    const deviceId = deviceParam(request);
    const connected = await directory.connectedActivities(accountId);
    const open = connected.find((device) => device.deviceId === deviceId);
    // It would say hello again at once and be listed again: close it first.
    if (open) {
      throw new RequestError(
        ErrorCode.Conflict,
        `${open.label} has Voxreply open now: close it there (or sign out there) first`,
      );
    }
    if (await devices.remove(accountId, deviceId)) {
      request.log.info({ accountId, deviceId }, 'device forgotten');
      options.onChanged(accountId);
    }
    return reply.code(204).send();
  });

  app.post('/api/calls/:callId/decline', async (request: CallRequest, reply) => {
    const parsed = callIdRequestSchema.safeParse({ callId: request.params.callId });
    if (!parsed.success) throw new RequestError(ErrorCode.NotFound, 'no such call');
    const { deviceId } = parseBody(declineRingSchema, request.body);
    await options.declineRing(request.accountId, deviceId, parsed.data.callId);
    request.log.info({ callId: parsed.data.callId, deviceId }, 'declined from a notification');
    return reply.code(204).send();
  });

  return Promise.resolve();
};

/** The device named in the path; a malformed id names no device of anyone's. */
export function deviceParam(request: DeviceRequest): string {
  const parsed = deviceIdSchema.safeParse(request.params.deviceId);
  if (!parsed.success) throw new RequestError(ErrorCode.NotFound, 'no such device');
  return parsed.data;
}
