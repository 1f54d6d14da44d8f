// Call records: written when a call starts, completed when it ends.
import type { Kysely, Selectable } from 'kysely';
import type { CallOutcome, CallRecordView } from '../../protocol/call.js';
import type { CallTable, Database } from './schema.js';

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

export interface CallEnd {
  outcome: CallOutcome;
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

  async history(accountId: number, limit = 100): Promise<CallRecordView[]> {
    const rows = await this.#db
      .selectFrom('calls')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toView);
  }
}

function toView(row: Selectable<CallTable>): CallRecordView {
  const duration =
    row.answered_at && row.ended_at
      ? Math.round((Date.parse(row.ended_at) - Date.parse(row.answered_at)) / 1000)
      : null;
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
    durationSeconds: duration,
    ringReasons: JSON.parse(row.ring_reasons) as string[],
  };
}
