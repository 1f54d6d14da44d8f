// What a call leaves behind and tells others: its row in the call history
// (started, ring reasons, answered, guests, ended), its entry in the call
// directory with the snapshot another node needs to take it over, the
// device's "last answered", and the missed-call notice. Writes off the ring
// path are fire-and-forget here, each logged if it fails.
import type { CallOutcome } from '../../protocol/call.js';
import type { CallSnapshot } from '../../protocol/cluster.js';
import type { Logger } from '../logger.js';
import type { DeviceStore } from '../store/device-store.js';
import type { Presence } from '../presence/presence.js';
import { rankDevices, type DeviceActivity } from '../presence/ranking.js';
import type { Account } from '../store/account-store.js';
import type { CallStore } from '../store/call-store.js';
import type { CallDirectory } from './call-directory.js';
import type { Guest } from './group-call.js';
import type { LiveCall } from './live-call.js';

export interface MissedCall {
  accountId: number;
  callId: string;
  callerName: string;
  callerEmail: string | null;
  subject: string | null;
  startedAt: Date;
}

export interface CallRecordsDeps {
  callStore: CallStore;
  callDirectory: CallDirectory;
  devices: DeviceStore;
  presence: Presence;
  /** This node's name in the cluster (the call directory's). */
  nodeId: string;
  /** Told of each call nobody answered (the missed-call email). */
  onMissed?: (missed: MissedCall) => void;
  logger: Logger;
}

export class CallRecords {
  readonly #deps: CallRecordsDeps;
  readonly #log: Logger;

  constructor(deps: CallRecordsDeps) {
    this.#deps = deps;
    this.#log = deps.logger;
  }

  /** The call's record, before anything rings. */
  async started(call: LiveCall, account: Account, linkId: number | null): Promise<void> {
    await this.#deps.callStore.start({
      id: call.id,
      accountId: account.id,
      linkId,
      callerName: call.incoming.callerName,
      callerEmail: call.incoming.callerEmail,
      subject: call.incoming.subject,
      video: call.incoming.video,
      startedAt: new Date(call.startedAt),
      ringReasons: account.settings.doNotDisturb
        ? ['Do not disturb: no device rang']
        : call.reasons,
    });
  }

  /** Enters the call in the directory, so other nodes find it (before anything rings). */
  async open(call: LiveCall): Promise<void> {
    if (!(await this.#deps.callDirectory.open(call.id, call.accountId, this.snapshot(call)))) {
      throw new Error(`call id ${call.id} is taken`);
    }
  }

  /** Off the ring path: the full explanation, with the devices that were offline. */
  allReasons(call: LiveCall, reachable: DeviceActivity[]): void {
    this.persist('ring reasons', [this.#allReasons(call, reachable)]);
  }

  async #allReasons(call: LiveCall, reachable: DeviceActivity[]): Promise<void> {
    const stored = await this.#deps.devices.list(call.accountId);
    // `reachable` holds the closed apps rung by notification too: they rank as such.
    const activities = this.#deps.presence.activities(call.accountId, stored, reachable);
    const { reasons } = rankDevices(activities, call.startedAt);
    await this.#deps.callStore.setRingReasons(call.id, reasons);
  }

  /** A device took the call: it becomes the most recently answering device. */
  deviceAnswered(call: LiveCall, deviceId: string): void {
    this.#deps.presence.answered(call.accountId, deviceId);
    this.persist('device answered', [
      this.#deps.devices.update(call.accountId, deviceId, { lastAnsweredAt: new Date() }),
    ]);
  }

  /** The answer in the call's record and, with who answered, in the directory's snapshot. */
  answered(call: LiveCall, deviceId: string): void {
    const label = call.labels.get(deviceId) ?? deviceId;
    this.persist('answered', [
      this.#deps.callStore.answered(call.id, { deviceId, label }, new Date()),
      this.#deps.callDirectory.answered(call.id, this.snapshot(call)),
    ]);
    this.#log.info({ callId: call.id, deviceId }, 'call answered');
  }

  guestLeft(guest: Guest): void {
    this.persist('guest left', [
      guest.record.then((id) => this.#deps.callStore.guestLeft(id, new Date())),
    ]);
  }

  /** The record ends and the directory forgets the call; a missed call is told. */
  ended(call: LiveCall, outcome: CallOutcome): void {
    this.closed(call.id, outcome);
    this.#log.info({ callId: call.id, outcome }, 'call ended');
    if (outcome !== 'missed') return;
    this.#deps.onMissed?.({
      accountId: call.accountId,
      callId: call.id,
      callerName: call.incoming.callerName,
      callerEmail: call.incoming.callerEmail,
      subject: call.incoming.subject,
      startedAt: new Date(call.startedAt),
    });
  }

  /** A call that never went live (or whose takeover failed) is over. */
  closed(callId: string, outcome: CallOutcome): void {
    this.persist('ended', [
      this.#deps.callStore.ended(callId, { outcome, endedAt: new Date() }),
      this.#deps.callDirectory.close(callId),
    ]);
  }

  /** What another node needs to take the call over if this one dies (a reply page's only). */
  snapshot(call: LiveCall): CallSnapshot | undefined {
    if (!call.resume) return undefined;
    const answer = call.answer;
    return {
      accountId: call.accountId,
      linkId: call.resume.linkId,
      resumeTokenHash: call.resume.tokenHash,
      startedAt: call.startedAt,
      incoming: call.incoming,
      messageKey: call.group?.messageKey ?? null,
      answer: answer
        ? {
            deviceId: answer.deviceId,
            label: call.labels.get(answer.deviceId) ?? answer.deviceId,
            peerId: answer.socket.id,
            node: answer.socket.node ?? this.#deps.nodeId,
            answeredAt: call.answeredAt ?? new Date().toISOString(),
            video: answer.video,
          }
        : null,
      phone: call.state.kind === 'on_phone',
    };
  }

  /** Writes off the call's path: a failure is logged, never thrown at the call. */
  persist(what: string, writes: Promise<unknown>[]): void {
    Promise.all(writes).catch((error: unknown) =>
      this.#log.error({ err: error, what }, 'could not record call state'),
    );
  }
}
