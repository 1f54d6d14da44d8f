// The ring plan's phone stage: forwards a reply page's call to the sender's
// numbers through the SIP gateway (gateway/phone-forwarding.ts), writes each
// attempt's row in the call history, and turns what the forwarding reports
// into the call table's events (a phone answered, none did, held, hung up).
import type { ForwardRequest, PhoneForwarding } from '../../gateway/phone-forwarding.js';
import type { AttemptInfo } from '../../gateway/phone-forwarding.js';
import type { CallStore } from '../store/call-store.js';
import type { CallEvent } from './call-machine.js';
import type { CallRecords } from './call-records.js';
import { PageCaller } from './caller.js';
import type { LiveCall } from './live-call.js';

/** What calls need of the SIP gateway. */
export interface PhoneGateway {
  canCall(): boolean;
  forward(request: ForwardRequest): PhoneForwarding;
}

export class PhoneLegs {
  readonly #gateway: PhoneGateway | undefined;
  readonly #callStore: CallStore;
  readonly #records: CallRecords;
  readonly #dispatch: (call: LiveCall, event: CallEvent) => boolean;

  constructor(
    parts: { gateway: PhoneGateway | undefined; callStore: CallStore; records: CallRecords },
    dispatch: (call: LiveCall, event: CallEvent) => boolean,
  ) {
    this.#gateway = parts.gateway;
    this.#callStore = parts.callStore;
    this.#records = parts.records;
    this.#dispatch = dispatch;
  }

  /** The SIP gateway runs (trunks are configured): the sender's numbers matter. */
  get configured(): boolean {
    return this.#gateway !== undefined;
  }

  /** A trunk is up: the phone stage can run (asked when it starts). */
  canCall(): boolean {
    return this.#gateway?.canCall() ?? false;
  }

  /** Stage 3: forwards to the sender's numbers; its events drive the call. */
  call(call: LiveCall): void {
    const gateway = this.#gateway;
    // Only a reply page is forwarded (a phone calling in is never sent back out).
    const page = call.caller instanceof PageCaller ? call.caller : undefined;
    if (!gateway || !page) {
      setImmediate(() => this.#dispatch(call, { type: 'phone_failed' }));
      return;
    }
    const phone = gateway.forward({
      room: call.room,
      callerPeerId: call.caller.peerId,
      callerName: call.incoming.callerName,
      subject: call.incoming.subject,
      numbers: call.numbers,
    });
    call.phone = phone;
    const legs = this.#legRows(call, phone);
    phone.on('sendCodec', (codec) => page.sendCodec({ kind: 'audio', ...codec }));
    phone.on('answered', (attempt, result) => {
      if (!this.#dispatch(call, { type: 'phone_answered' })) return phone.hangup();
      const device = `phone:${attempt.number}`;
      call.labels.set(device, `${attempt.label} (${attempt.number})`);
      this.#records.answered(call, device);
      phone.once('ended', () => {
        legs.write(attempt, (leg) =>
          this.#callStore.phoneLegEnded(leg, { result, endedAt: new Date() }),
        );
        this.#dispatch(call, { type: 'hang_up', by: 'sender' });
      });
    });
    phone.on('failed', (busy) => this.#dispatch(call, { type: 'phone_failed', busy }));
    phone.on('held', (held) => this.#dispatch(call, { type: 'phone_held', held }));
    phone.start();
  }

  /** Each attempt's row in the call history; later writes wait for it. */
  #legRows(
    call: LiveCall,
    phone: PhoneForwarding,
  ): { write: (attempt: AttemptInfo, write: (leg: number) => Promise<void>) => void } {
    const legIds = new Map<number, Promise<number>>();
    const write = (attempt: AttemptInfo, write: (leg: number) => Promise<void>): void => {
      const id = legIds.get(attempt.id);
      if (id) this.#records.persist('phone leg', [id.then(write)]);
    };
    phone.on('attempt', (attempt) => {
      const id = this.#callStore.phoneLegStarted(call.id, {
        number: attempt.number,
        trunk: attempt.trunk,
        startedAt: new Date(),
      });
      legIds.set(attempt.id, id);
      this.#records.persist('phone leg', [id]);
    });
    phone.on('attemptEnded', (attempt, result) => {
      write(attempt, (leg) =>
        result === 'answered'
          ? this.#callStore.phoneLegAnswered(leg, new Date())
          : this.#callStore.phoneLegEnded(leg, { result, endedAt: new Date() }),
      );
    });
    return { write };
  }
}
