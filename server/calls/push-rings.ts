// Devices rung by notification: a sender's device whose desk app is closed
// but installed, holding a Web Push subscription (server/push/). It ranks by
// its last input before it closed, rings in the stage where it ranks, and
// hears by push when its ring is over. Once its app connects (opened from
// the notification), it is rung like any connected device.
import type { RingEndReason } from '../../protocol/call.js';
import type { Logger } from '../logger.js';
import type { DeviceActivity } from '../presence/ranking.js';
import type { PushRinger } from '../push/push-ringer.js';
import type { DeviceStore } from '../store/device-store.js';
import type { LiveCall } from './live-call.js';

export class PushRings {
  readonly #push: PushRinger | undefined;
  readonly #devices: DeviceStore;
  readonly #log: Logger;

  constructor(parts: { push: PushRinger | undefined; devices: DeviceStore; logger: Logger }) {
    this.#push = parts.push;
    this.#devices = parts.devices;
    this.#log = parts.logger;
  }

  /**
   * The sender's devices that can be rung by notification, as closed apps
   * (the caller drops those that turn out to be connected).
   */
  async installedApps(accountId: number): Promise<DeviceActivity[]> {
    if (!this.#push) return [];
    const [subscribed, stored] = await Promise.all([
      this.#push.subscribedDevices(accountId),
      this.#devices.list(accountId),
    ]);
    return stored
      .filter((device) => subscribed.has(device.deviceId))
      .map((device) => ({
        deviceId: device.deviceId,
        label: device.label,
        online: false,
        pushable: true,
        ringPreference: device.ringPreference,
        lastInputAt: device.lastInputAt?.getTime() ?? null,
        focused: false,
        visible: false,
        lastAnsweredAt: device.lastAnsweredAt?.getTime() ?? null,
      }));
  }

  /** Rings the closed apps among `deviceIds` until the call's ring stage ends. */
  ring(call: LiveCall, deviceIds: readonly string[]): void {
    const closed = deviceIds.filter((id) => call.pushOnly.has(id));
    if (!this.#push || closed.length === 0) return;
    const ringsUntil = stageEnd(call);
    for (const id of closed) call.pushed.add(id);
    const { incoming } = call;
    this.#push.send(
      call.accountId,
      closed,
      {
        type: 'ring',
        callId: call.id,
        callerName: incoming.callerName,
        subject: incoming.subject,
        video: incoming.video,
        ringsUntil,
      },
      // The push service may hold it for what is left of the stage, not longer.
      { ttlSeconds: Math.max(1, Math.ceil((ringsUntil - Date.now()) / 1000)), topic: call.id },
    );
    this.#log.info({ callId: call.id, devices: closed.length }, 'rung by notification');
  }

  /** Closes the notification of the devices rung by push among `deviceIds`, saying why. */
  ended(
    call: LiveCall,
    deviceIds: readonly string[],
    reason: RingEndReason,
    answeredOn: string | undefined,
  ): void {
    const rung = deviceIds.filter((id) => call.pushed.has(id));
    if (!this.#push || rung.length === 0) return;
    const text = ringEndedText(reason, answeredOn);
    for (const id of rung) call.pushed.delete(id);
    // Replaces the ring if it was not delivered yet (same topic), and may be
    // kept a little longer than a ring: a phone waking up learns it is over.
    this.#push.send(
      call.accountId,
      rung,
      { type: 'ring_ended', callId: call.id, text },
      { ttlSeconds: 60, topic: call.id },
    );
  }
}

/** When the ring stage the call is in ends (epoch ms). */
function stageEnd(call: LiveCall): number {
  const stage =
    call.state.kind === 'ringing' ? call.shape.stages[call.state.plan.stage] : undefined;
  return stage?.kind === 'devices' ? call.startedAt + stage.endsAfterMs : Date.now();
}

/** What a closed app's notification says when its ring ends. */
function ringEndedText(reason: RingEndReason, answeredOn: string | undefined): string {
  switch (reason) {
    case 'answered_elsewhere':
      return `Answered on ${answeredOn ?? 'another device'}`;
    case 'caller_hung_up':
      return 'The caller hung up';
    case 'no_answer':
      return 'Missed call';
    case 'forwarded_to_phone':
      return 'Forwarded to your phone';
    case 'declined':
      return 'Declined';
  }
}
