// Account security in the store, on SQLite and PostgreSQL: reset tokens work
// once and lapse after an hour (an injected clock, no waiting), sessions are
// listed and ended by id, and deleting an account clears or anonymises every
// table of schema.ts in one transaction while another account stays untouched.
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteAccount, DELETED_ACCOUNT_NAME } from '../../server/store/account-deletion.js';
import { AccountStore } from '../../server/store/account-store.js';
import { CallStore } from '../../server/store/call-store.js';
import { ChatStore } from '../../server/store/chat-store.js';
import { migrateToLatest, openDatabase } from '../../server/store/database.js';
import { LinkStore } from '../../server/store/link-store.js';
import { PasswordResetStore, RESET_LIFETIME_MS } from '../../server/store/password-reset-store.js';
import { PhoneStore } from '../../server/store/phone-store.js';
import type { Database } from '../../server/store/schema.js';
import { SessionStore } from '../../server/store/session-store.js';
import { storeBackends } from '../support/store-backends.js';

const backends = storeBackends();

describe.each(Object.entries(backends))('account security on %s', (_kind, location) => {
  let db: Kysely<Database>;
  let accounts: AccountStore;
  let sessions: SessionStore;

  beforeEach(async () => {
    db = openDatabase(await location());
    await migrateToLatest(db);
    accounts = new AccountStore(db);
    sessions = new SessionStore(db);
  });

  afterEach(async () => {
    await db.destroy();
  });

  const newAccount = (email: string) =>
    accounts.register({ email, displayName: 'Ada Lovelace', passwordHash: 'x' });

  it('takes a reset token once, and not after an hour', async () => {
    const ada = await newAccount('ada@example.org');
    const resets = new PasswordResetStore(db);
    const issued = new Date('2026-01-01T10:00:00Z');
    const token = await resets.create(ada.id, issued);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only the hash is stored.
    const stored = await db.selectFrom('password_resets').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(await resets.peek(token, issued)).toBe(ada.id);
    expect(await resets.take(token, issued)).toBe(ada.id);
    expect(await resets.take(token, issued)).toBeUndefined();

    const late = await resets.create(ada.id, issued);
    const justBefore = new Date(issued.getTime() + RESET_LIFETIME_MS - 1000);
    const atExpiry = new Date(issued.getTime() + RESET_LIFETIME_MS);
    expect(await resets.peek(late, justBefore)).toBe(ada.id);
    expect(await resets.peek(late, atExpiry)).toBeUndefined();
    expect(await resets.take(late, atExpiry)).toBeUndefined();
  });

  it('lists sessions with where they came from, and ends one or all others by id', async () => {
    const ada = await newAccount('ada@example.org');
    const grace = await newAccount('grace@example.org');
    const here = await sessions.create(ada.id, new Date(), {
      userAgent: 'Firefox/140.0',
      clientAddress: '192.0.2.1',
    });
    const phone = await sessions.create(ada.id);
    const laptop = await sessions.create(ada.id);
    const hers = await sessions.create(grace.id);
    const listed = await sessions.list(ada.id);
    expect(listed).toHaveLength(3);
    expect(listed.find((session) => session.id === SessionStore.idOf(here))).toMatchObject({
      userAgent: 'Firefox/140.0',
      clientAddress: '192.0.2.1',
    });
    // Not another account's session.
    expect(await sessions.deleteById(grace.id, SessionStore.idOf(phone))).toBe(false);
    expect(await sessions.deleteById(ada.id, SessionStore.idOf(phone))).toBe(true);
    expect(await sessions.accountFor(phone)).toBeUndefined();
    expect(await sessions.deleteAll(ada.id, SessionStore.idOf(here))).toEqual([
      SessionStore.idOf(laptop),
    ]);
    expect(await sessions.accountFor(here)).toBe(ada.id);
    expect(await sessions.accountFor(hers)).toBe(grace.id);
  });

  it('deletes an account: its rows go, its calls stay without personal data, others stay', async () => {
    const ada = await newAccount('ada@example.org');
    const grace = await newAccount('grace@example.org');
    const links = new LinkStore(db);
    const calls = new CallStore(db);
    const chats = new ChatStore(db);
    const phones = new PhoneStore(db);
    const seed = async (accountId: number, tag: string) => {
      const number = tag === 'ada' ? '+15550100' : '+15550101';
      const link = await links.create({
        accountId,
        kind: 'recipient',
        token: `token-${tag}-${'x'.repeat(16)}`,
        recipientEmail: `victor-${tag}@example.org`,
        recipientName: 'Victor',
        subject: `Salary ${tag}`,
      });
      await calls.start({
        id: `call-${tag}`,
        accountId,
        linkId: link.id,
        callerName: 'Victor',
        callerEmail: `victor-${tag}@example.org`,
        subject: `Salary ${tag}`,
        video: false,
        startedAt: new Date(),
        ringReasons: ['Laptop was away'],
      });
      await calls.answered(`call-${tag}`, { deviceId: 'd1', label: 'Ada laptop' }, new Date());
      await calls.ended(`call-${tag}`, { outcome: 'answered', endedAt: new Date() });
      await calls.phoneLegStarted(`call-${tag}`, {
        number,
        trunk: 'main',
        startedAt: new Date(),
      });
      await chats.add(link.id, 'caller', 'Victor', 'hello');
      await phones.replace(accountId, [{ number, label: 'Mobile', askToPress1: false }]);
      await db
        .insertInto('devices')
        .values({ account_id: accountId, device_id: 'd1', label: 'Ada laptop', platform: 'x' })
        .execute();
      await db
        .insertInto('voicemails')
        .values({
          id: `vm-${tag}`,
          account_id: accountId,
          link_id: link.id,
          call_id: `call-${tag}`,
          caller_name: 'Victor',
          caller_email: null,
          subject: null,
          duration_ms: 1000,
          bytes: 10,
          upload_key: `key-${tag}`,
          created_at: new Date().toISOString(),
        })
        .execute();
      await db
        .insertInto('app_passwords')
        .values({
          account_id: accountId,
          label: 'Thunderbird',
          password_hash: `hash-${tag}`,
          created_at: new Date().toISOString(),
        })
        .execute();
      await new PasswordResetStore(db).create(accountId);
      return sessions.create(accountId);
    };
    const adaSession = await seed(ada.id, 'ada');
    const graceSession = await seed(grace.id, 'grace');

    const deleted = await deleteAccount(db, ada.id);
    expect(deleted).toEqual({
      sessionIds: [SessionStore.idOf(adaSession)],
      voicemailIds: ['vm-ada'],
    });
    // Once only.
    expect(await deleteAccount(db, ada.id)).toBeUndefined();

    expect(await accounts.findById(ada.id)).toBeUndefined();
    expect(await accounts.findByEmail('ada@example.org')).toBeUndefined();
    const tombstone = await db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', ada.id)
      .executeTakeFirstOrThrow();
    expect(tombstone).toMatchObject({
      email: `deleted-${ada.id}@voxreply.invalid`,
      display_name: DELETED_ACCOUNT_NAME,
      email_verified_at: null,
    });
    expect(tombstone.deleted_at).not.toBeNull();
    expect(await sessions.accountFor(adaSession)).toBeUndefined();
    expect(await links.findByToken(`token-ada-${'x'.repeat(16)}`)).toBeUndefined();
    const [adaCall] = await db
      .selectFrom('calls')
      .selectAll()
      .where('account_id', '=', ada.id)
      .execute();
    expect(adaCall).toMatchObject({
      caller_name: '',
      caller_email: null,
      subject: null,
      answered_device_id: null,
      answered_device_label: null,
      ring_reasons: '[]',
      outcome: 'answered',
      link_id: null,
    });
    const legs = await db
      .selectFrom('call_phone_legs')
      .select('number')
      .where('call_id', '=', 'call-ada')
      .execute();
    expect(legs).toEqual([{ number: '' }]);
    for (const table of [
      'devices',
      'phone_numbers',
      'app_passwords',
      'voicemails',
      'password_resets',
      'links',
    ]) {
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(
        table,
      )} where account_id = ${ada.id}`.execute(db);
      expect(Number(rows[0]?.n), table).toBe(0);
    }
    expect(await db.selectFrom('chat_messages').select('link_id').execute()).toHaveLength(1);

    // Grace keeps everything.
    expect((await accounts.findById(grace.id))?.email).toBe('grace@example.org');
    expect(await sessions.accountFor(graceSession)).toBe(grace.id);
    expect(await links.findByToken(`token-grace-${'x'.repeat(16)}`)).toBeDefined();
    const [graceCall] = await calls.history(grace.id);
    expect(graceCall).toMatchObject({ callerName: 'Victor', subject: 'Salary grace' });
    expect(await phones.list(grace.id)).toHaveLength(1);
  });
});
