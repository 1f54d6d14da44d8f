// Call records: written when a call starts, completed when it ends.
import type { Kysely, Selectable } from 'kysely';
import type { CallOutcome, CallRecordView } from '../../protocol/call.js';
import type { PhoneLegView } from '../../protocol/phones.js';
import type { CallPhoneLegTable, CallTable, Database } from './schema.js';

export interface NewCallRecord {
  id: string;
  accountId: number;
  linkId: number | null;
  callerName: string;
  callerEmail: string | null;
  subject: string | null;
  video: boolean;
  startedAt: Date;
  ringReasons: string[];
}

/** A call record without an end (its node may have died). */
export interface UnfinishedCall {
  id: string;
  /** ISO time, as stored (the page key). */
  startedAt: string;
  answered: boolean;
}

export interface CallEnd {
  outcome: CallOutcome;
  endedAt: Date;
}

/** One attempt to forward a call to a phone number through a trunk. */
export interface NewPhoneLeg {
  number: string;
  trunk: string;
  startedAt: Date;
}

export interface PhoneLegEnd {
  /** The SIP final response ("486 Busy Here"), or why none came ("timeout"). */
  result: string;
  endedAt: Date;
}

export class CallStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async start(call: NewCallRecord): Promise<void> {
    await this.#db
      .insertInto('calls')
      .values({
        id: call.id,
        account_id: call.accountId,
        link_id: call.linkId,
        caller_name: call.callerName,
        caller_email: call.callerEmail,
        subject: call.subject,
        video: call.video ? 1 : 0,
        started_at: call.startedAt.toISOString(),
        ring_reasons: JSON.stringify(call.ringReasons),
      })
      .execute();
  }

  /** Whether a call came in through this link (a voice message may name its call). */
  async cameThrough(id: string, linkId: number): Promise<boolean> {
    const row = await this.#db
      .selectFrom('calls')
      .select('id')
      .where('id', '=', id)
      .where('link_id', '=', linkId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async setRingReasons(id: string, reasons: string[]): Promise<void> {
    await this.#db
      .updateTable('calls')
      .set({ ring_reasons: JSON.stringify(reasons) })
      .where('id', '=', id)
      .execute();
  }

  async answered(id: string, device: { deviceId: string; label: string }, at: Date): Promise<void> {
    await this.#db
      .updateTable('calls')
      .set({
        answered_at: at.toISOString(),
        answered_device_id: device.deviceId,
        answered_device_label: device.label,
      })
      .where('id', '=', id)
      .execute();
  }

  async ended(id: string, end: CallEnd): Promise<void> {
    await this.#db
      .updateTable('calls')
      .set({ outcome: end.outcome, ended_at: end.endedAt.toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Calls started before `before` that nothing ended, oldest first, at most
   * `limit`; `after`: the last one of the previous page.
   */
  async unfinished(before: Date, limit: number, after?: UnfinishedCall): Promise<UnfinishedCall[]> {
    let query = this.#db
      .selectFrom('calls')
      .select(['id', 'started_at', 'answered_at'])
      .where('ended_at', 'is', null)
      .where('started_at', '<', before.toISOString());
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('started_at', '>', after.startedAt),
          eb.and([eb('started_at', '=', after.startedAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    const rows = await query.orderBy('started_at').orderBy('id').limit(limit).execute();
    return rows.map((row) => ({
      id: row.id,
      startedAt: row.started_at,
      answered: row.answered_at !== null,
    }));
  }

  /** Ends a call that nothing ended yet; whether it did (another node may have). */
  async endedIfOpen(id: string, end: CallEnd): Promise<boolean> {
    const result = await this.#db
      .updateTable('calls')
      .set({ outcome: end.outcome, ended_at: end.endedAt.toISOString() })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Records a leg as it starts; returns the id that phoneLegAnswered/phoneLegEnded take. */
  async phoneLegStarted(callId: string, leg: NewPhoneLeg): Promise<number> {
    const row = await this.#db
      .insertInto('call_phone_legs')
      .values({
        call_id: callId,
        number: leg.number,
        trunk: leg.trunk,
        started_at: leg.startedAt.toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async phoneLegAnswered(legId: number, at: Date): Promise<void> {
    await this.#db
      .updateTable('call_phone_legs')
      .set({ answered_at: at.toISOString() })
      .where('id', '=', legId)
      .execute();
  }

  async phoneLegEnded(legId: number, end: PhoneLegEnd): Promise<void> {
    await this.#db
      .updateTable('call_phone_legs')
      .set({ result: end.result, ended_at: end.endedAt.toISOString() })
      .where('id', '=', legId)
      .execute();
  }

  /** Another recipient of the email joined the call; returns the row's id. */
  async guestJoined(
    callId: string,
    guest: { linkId: number; name: string; joinedAt: Date },
  ): Promise<number> {
    const row = await this.#db
      .insertInto('call_guests')
      .values({
        call_id: callId,
        link_id: guest.linkId,
        name: guest.name,
        joined_at: guest.joinedAt.toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async guestLeft(guestId: number, at: Date): Promise<void> {
    await this.#db
      .updateTable('call_guests')
      .set({ left_at: at.toISOString() })
      .where('id', '=', guestId)
      .execute();
  }

  async history(accountId: number, limit = 100): Promise<CallRecordView[]> {
    const rows = await this.#db
      .selectFrom('calls')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
    const ids = rows.map((row) => row.id);
    const [legs, guests] = await Promise.all([this.#phoneLegsOf(ids), this.#guestsOf(ids)]);
    return rows.map((row) => toView(row, legs.get(row.id) ?? [], guests.get(row.id) ?? []));
  }

  /** The guests' names of a page of calls in one query, by call id (each person once). */
  async #guestsOf(callIds: string[]): Promise<Map<string, string[]>> {
    const byCall = new Map<string, string[]>();
    if (callIds.length === 0) return byCall;
    const rows = await this.#db
      .selectFrom('call_guests')
      .select(['id', 'call_id', 'link_id', 'name'])
      .where('call_id', 'in', callIds)
      .orderBy('id')
      .execute();
    // Someone who left and joined again is one guest (their link, when it still exists).
    const seen = new Set<string>();
    for (const row of rows) {
      const person = `${row.call_id}:${row.link_id ?? `row ${row.id}`}`;
      if (seen.has(person)) continue;
      seen.add(person);
      byCall.set(row.call_id, [...(byCall.get(row.call_id) ?? []), row.name]);
    }
    return byCall;
  }

  /** The legs of a page of calls in one query (not one per call), by call id. */
  async #phoneLegsOf(callIds: string[]): Promise<Map<string, PhoneLegView[]>> {
    const byCall = new Map<string, PhoneLegView[]>();
    if (callIds.length === 0) return byCall;
    const rows = await this.#db
      .selectFrom('call_phone_legs')
      .selectAll()
      .where('call_id', 'in', callIds)
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const legs = byCall.get(row.call_id) ?? [];
      legs.push(toLegView(row));
      byCall.set(row.call_id, legs);
    }
    return byCall;
  }
}

/** Whole seconds from answer to end; null unless both happened. */
function secondsBetween(answeredAt: string | null, endedAt: string | null): number | null {
  return answeredAt && endedAt
    ? Math.round((Date.parse(endedAt) - Date.parse(answeredAt)) / 1000)
    : null;
}

function toLegView(row: Selectable<CallPhoneLegTable>): PhoneLegView {
  return {
    number: row.number,
    trunk: row.trunk,
    result: row.result,
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    durationSeconds: secondsBetween(row.answered_at, row.ended_at),
  };
}

function toView(
  row: Selectable<CallTable>,
  phoneLegs: PhoneLegView[],
  guests: string[],
): CallRecordView {
  return {
    id: row.id,
    callerName: row.caller_name,
    callerEmail: row.caller_email,
    subject: row.subject,
    video: row.video === 1,
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    outcome: row.outcome as CallOutcome | null,
    answeredOn: row.answered_device_label,
    durationSeconds: secondsBetween(row.answered_at, row.ended_at),
    ringReasons: JSON.parse(row.ring_reasons) as string[],
    phoneLegs,
    guests,
  };
}
