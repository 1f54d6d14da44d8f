// The desk app's device events: hello, activity beats, label and ring preference.
import { channels } from '../calls/channels.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  activityBeatSchema,
  deviceHelloSchema,
  updateDeviceSchema,
} from '../../protocol/presence.js';
import type { DeviceView } from '../../protocol/presence.js';
import type { Logger } from '../logger.js';
import type { DeviceDirectory } from '../presence/device-directory.js';
import type { Presence } from '../presence/presence.js';
import type { DeviceStore } from '../store/device-store.js';
import type { VoxServer, VoxSocket } from './typed-server.js';
import { RequestError } from '../errors.js';
import { validated } from './validated-handler.js';

/** Device-list updates within this window are sent as one. */
const PUBLISH_COALESCE_MS = 100;

export class DeviceHandlers {
  readonly #io: VoxServer;
  readonly #presence: Presence;
  readonly #directory: DeviceDirectory;
  readonly #devices: DeviceStore;
  /** The sender's devices rung by notification when closed (Web Push subscriptions). */
  readonly #subscribed: (accountId: number) => Promise<Set<string>>;
  readonly #logger: Logger;

  constructor(
    io: VoxServer,
    presence: Presence,
    directory: DeviceDirectory,
    devices: { store: DeviceStore; subscribed: (accountId: number) => Promise<Set<string>> },
    logger: Logger,
  ) {
    this.#io = io;
    this.#presence = presence;
    this.#directory = directory;
    this.#devices = devices.store;
    this.#subscribed = devices.subscribed;
    this.#logger = logger.child({ component: 'devices' });
    // Several changes in a burst (page loads, a beat storm) make one broadcast.
    presence.on('changed', (accountId) => this.#schedulePublish(accountId));
    // A device came or went on another node.
    directory.on('deviceJoined', (accountId) => this.#schedulePublish(accountId));
    directory.on('deviceLeft', (accountId) => this.#schedulePublish(accountId));
  }

  readonly #pending = new Map<number, NodeJS.Timeout>();

  #schedulePublish(accountId: number): void {
    if (this.#pending.has(accountId)) return;
    const timer = setTimeout(() => {
      this.#pending.delete(accountId);
      void this.publish(accountId);
    }, PUBLISH_COALESCE_MS);
    timer.unref();
    this.#pending.set(accountId, timer);
  }

  close(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }

  /** Sends the device list to every desk app of the account. */
  async publish(accountId: number): Promise<void> {
    try {
      this.#io.to(channels.account(accountId)).emit('devices:list', await this.#list(accountId));
    } catch (error) {
      this.#logger.error({ err: error, accountId }, 'could not publish devices');
    }
  }

  attach(socket: VoxSocket): void {
    const log = this.#logger;
    const account = (): number => {
      const id = socket.data.accountId;
      if (id === undefined) throw new RequestError(ErrorCode.Unauthorized, 'log in first');
      return id;
    };
    const device = (): { accountId: number; deviceId: string } => {
      const deviceId = socket.data.deviceId;
      if (!deviceId) throw new RequestError(ErrorCode.Forbidden, 'send device:hello first');
      return { accountId: account(), deviceId };
    };

    socket.on(
      'device:hello',
      validated('device:hello', deviceHelloSchema, log, async (hello) => {
        const accountId = account();
        if (socket.data.deviceId && socket.data.deviceId !== hello.deviceId) {
          throw new RequestError(
            ErrorCode.Forbidden,
            'this connection already speaks for another device',
          );
        }
        const stored = await this.#devices.upsert(accountId, hello);
        socket.data.deviceId = hello.deviceId;
        await socket.join([
          channels.account(accountId),
          channels.device(accountId, hello.deviceId),
        ]);
        this.#presence.hello(accountId, socket.id, stored);
        return this.#list(accountId);
      }),
    );
    socket.on(
      'device:activity',
      validated('device:activity', activityBeatSchema, log, async (beat) => {
        const { accountId, deviceId } = device();
        if (this.#presence.activity(accountId, deviceId, beat)) {
          // Idle -> active: worth remembering across restarts ("last used").
          await this.#devices.update(accountId, deviceId, {
            lastInputAt: new Date(Date.now() - beat.idleMs),
          });
        }
        return null;
      }),
    );
    socket.on(
      'device:update',
      validated('device:update', updateDeviceSchema, log, async (change) => {
        const accountId = account();
        if (!(await this.#devices.find(accountId, change.deviceId))) {
          throw new RequestError(ErrorCode.NotFound, 'no such device');
        }
        await this.#devices.update(accountId, change.deviceId, change);
        this.#presence.update(accountId, change.deviceId, change);
        return this.#list(accountId);
      }),
    );
    socket.on('disconnect', () => {
      const { accountId, deviceId } = socket.data;
      if (accountId === undefined || !deviceId) return;
      // Its last input before it closed ranks the device while it is closed
      // (an installed app is rung by notification then).
      const lastInputAt = this.#presence
        .connectedActivities(accountId)
        .find((device) => device.deviceId === deviceId)?.lastInputAt;
      this.#presence.disconnect(accountId, deviceId, socket.id);
      if (!lastInputAt) return;
      this.#devices
        .update(accountId, deviceId, { lastInputAt: new Date(lastInputAt) })
        .catch((error: unknown) =>
          this.#logger.warn({ err: error, deviceId }, 'could not keep the last input'),
        );
    });
  }

  async #list(accountId: number): Promise<DeviceView[]> {
    const [stored, connected, subscribed] = await Promise.all([
      this.#devices.list(accountId),
      this.#directory.connectedActivities(accountId),
      this.#subscribed(accountId),
    ]);
    return this.#presence
      .view(accountId, stored, connected)
      .map((device) => ({ ...device, notificationRings: subscribed.has(device.deviceId) }));
  }
}
