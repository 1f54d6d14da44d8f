// One contract, two stores: the same tests run on SQLite and on PostgreSQL, the
// way the server opens each (migrations included).
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore, EmailTakenError } from '../../server/store/account-store.js';
import { MemoryCallDirectory } from '../../server/calls/call-directory.js';
import { UnfinishedCalls } from '../../server/calls/unfinished-calls.js';
import { createLogger } from '../../server/logger.js';
import { CallStore } from '../../server/store/call-store.js';
import { migrateToLatest, openDatabase } from '../../server/store/database.js';
import {
  CONFIRMATION_LIFETIME_MS,
  EmailConfirmationStore,
} from '../../server/store/email-confirmation-store.js';
import { PhoneStore } from '../../server/store/phone-store.js';
import type { Database } from '../../server/store/schema.js';
import { storeBackends } from '../support/store-backends.js';

const backends = storeBackends();

describe.each(Object.entries(backends))('store contract on %s', (kind, location) => {
  let db: Kysely<Database>;
  let accounts: AccountStore;

  beforeEach(async () => {
    const where = await location();
    expect(where.kind).toBe(kind);
    db = openDatabase(where);
    await migrateToLatest(db);
    accounts = new AccountStore(db);
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('runs the migrations once and is idempotent on restart', async () => {
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('creates an account and finds it by email, case-insensitively, and by id', async () => {
    const created = await accounts.create({
      email: ' Ada@Example.org ',
      displayName: 'Ada Lovelace',
      passwordHash: 'scrypt$hash',
    });
    expect(created).toMatchObject({ email: 'ada@example.org', displayName: 'Ada Lovelace' });
    expect(created.id).toBeGreaterThan(0);
    expect(created.createdAt.getTime()).toBeLessThanOrEqual(Date.now());

    expect(await accounts.findByEmail('ADA@example.org')).toEqual(created);
    expect(await accounts.findById(created.id)).toEqual(created);
  });

  it('gives distinct ids to distinct accounts', async () => {
    const a = await accounts.create({
      email: 'a@example.org',
      displayName: 'A',
      passwordHash: 'x',
    });
    const b = await accounts.create({
      email: 'b@example.org',
      displayName: 'B',
      passwordHash: 'x',
    });
    expect(a.id).not.toBe(b.id);
  });

  it('refuses a second account with the same email and keeps the first', async () => {
    await accounts.create({ email: 'grace@example.org', displayName: 'Grace', passwordHash: 'x' });
    await expect(
      accounts.create({ email: 'GRACE@example.org', displayName: 'Impostor', passwordHash: 'y' }),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect((await accounts.findByEmail('grace@example.org'))?.displayName).toBe('Grace');
  });

  it('answers undefined for accounts that do not exist', async () => {
    expect(await accounts.findByEmail('nobody@example.org')).toBeUndefined();
    expect(await accounts.findById(999_999)).toBeUndefined();
  });

  describe('addresses until and after confirmation', () => {
    const named = (email: string, displayName: string, at: string) =>
      accounts.register({ email, displayName, passwordHash: displayName }, new Date(at));

    it('registers several accounts for one unconfirmed address', async () => {
      const first = await named('Ada@Example.org', 'Ada', '2026-01-01T00:00:00Z');
      const second = await named('ada@example.org', 'Mallory', '2026-01-02T00:00:00Z');
      expect(second.id).not.toBe(first.id);
      expect([first.email, second.email]).toEqual(['ada@example.org', 'ada@example.org']);
      expect([first.emailVerifiedAt, second.emailVerifiedAt]).toEqual([null, null]);
    });

    it('gives an address one account: the confirmed one, else the oldest', async () => {
      const oldest = await named('ada@example.org', 'Ada', '2026-01-01T00:00:00Z');
      await named('ada@example.org', 'Mallory', '2026-01-02T00:00:00Z');
      expect((await accounts.findByEmail('ADA@example.org'))?.id).toBe(oldest.id);
      // The owner signs up later and proves the mailbox: the address is theirs.
      const owner = await named('ada@example.org', 'Owner', '2026-01-03T00:00:00Z');
      expect(await accounts.confirmEmail(owner.id, 'ada@example.org')).toBe(true);
      expect((await accounts.findByEmail('ada@example.org'))?.id).toBe(owner.id);
      // A stranger's sign-up after that changes nothing.
      await named('ada@example.org', 'Eve', '2026-01-04T00:00:00Z');
      expect((await accounts.findByEmail('ada@example.org'))?.id).toBe(owner.id);
    });

    it('releases the address from every other account when one confirms it', async () => {
      const first = await named('ada@example.org', 'Ada', '2026-01-01T00:00:00Z');
      const second = await named('ada@example.org', 'Mallory', '2026-01-02T00:00:00Z');
      expect(await accounts.confirmEmail(second.id, 'ada@example.org')).toBe(true);
      const [kept, released] = await Promise.all([
        accounts.findById(second.id),
        accounts.findById(first.id),
      ]);
      expect(kept?.email).toBe('ada@example.org');
      expect(kept?.emailVerifiedAt).toBeInstanceOf(Date);
      expect(released).toMatchObject({
        email: `released-${first.id}@voxreply.invalid`,
        emailVerifiedAt: null,
      });
      // Confirmed once, it stays with its holder: nobody else confirms it, and
      // an account no longer naming the address cannot confirm it either.
      const later = await named('ada@example.org', 'Eve', '2026-01-03T00:00:00Z');
      expect(await accounts.confirmEmail(later.id, 'ada@example.org')).toBe(false);
      expect(await accounts.confirmEmail(first.id, 'ada@example.org')).toBe(false);
      expect((await accounts.findById(later.id))?.emailVerifiedAt).toBeNull();
      expect((await accounts.findByEmail('ada@example.org'))?.id).toBe(second.id);
    });
  });

  describe('confirmation codes', () => {
    it('are taken once, and lapse after their lifetime', async () => {
      const codes = new EmailConfirmationStore(db);
      const ada = await accounts.register({
        email: 'ada@example.org',
        displayName: 'Ada',
        passwordHash: 'x',
      });
      const issued = new Date('2026-01-01T00:00:00Z');
      const later = (ms: number) => new Date(issued.getTime() + ms);
      const code = await codes.create(ada.id, 'ADA@example.org', issued);
      const pending = { accountId: ada.id, email: 'ada@example.org' };
      // Looking does not spend it; taking does.
      expect(await codes.peek(code, later(1000))).toEqual(pending);
      expect(await codes.take(code, later(1000))).toEqual(pending);
      expect(await codes.take(code, later(2000))).toBeUndefined();
      const old = await codes.create(ada.id, 'ada@example.org', issued);
      expect(await codes.peek(old, later(CONFIRMATION_LIFETIME_MS - 1))).toEqual(pending);
      expect(await codes.peek(old, later(CONFIRMATION_LIFETIME_MS))).toBeUndefined();
      expect(await codes.take(old, later(CONFIRMATION_LIFETIME_MS))).toBeUndefined();
      expect(await codes.peek('A'.repeat(43))).toBeUndefined();
      // An account's codes go once its address is settled.
      const another = await codes.create(ada.id, 'ada@example.org', issued);
      await codes.forgetAccount(ada.id);
      expect(await codes.peek(another, later(1000))).toBeUndefined();
    });
  });

  describe('forwarding phones', () => {
    const mobile = { number: '+15551230001', label: 'Mobile', askToPress1: true };
    // A desk phone on a PBX never goes to voicemail: nobody need press 1.
    const office = { number: '+15551230002', label: 'Office', askToPress1: false };
    const home = { number: '+445551230003', label: 'Home', askToPress1: true };
    let phones: PhoneStore;
    let accountId: number;

    beforeEach(async () => {
      phones = new PhoneStore(db);
      accountId = (
        await accounts.create({ email: 'ada@example.org', displayName: 'Ada', passwordHash: 'x' })
      ).id;
    });

    it('starts empty and keeps the order it was given', async () => {
      expect(await phones.list(accountId)).toEqual([]);
      await phones.replace(accountId, [office, home, mobile]);
      expect(await phones.list(accountId)).toEqual([office, home, mobile]);
    });

    it('replaces the whole list: reordered, shortened, emptied', async () => {
      await phones.replace(accountId, [mobile, office, home]);
      await phones.replace(accountId, [home, mobile]);
      expect(await phones.list(accountId)).toEqual([home, mobile]);
      await phones.replace(accountId, []);
      expect(await phones.list(accountId)).toEqual([]);
    });

    it('keeps each account to its own list, and one number may serve two accounts', async () => {
      const other = await accounts.create({
        email: 'b@example.org',
        displayName: 'B',
        passwordHash: 'x',
      });
      await phones.replace(accountId, [mobile]);
      await phones.replace(other.id, [office, mobile]);
      expect(await phones.list(accountId)).toEqual([mobile]);
      expect(await phones.list(other.id)).toEqual([office, mobile]);
    });

    it('lets one of two simultaneous saves win whole (a double-clicked Save)', async () => {
      await phones.replace(accountId, [mobile]);
      const lists = [
        [office, home],
        [home, mobile, office],
      ];
      for (let round = 0; round < 10; round++) {
        await Promise.all(lists.map((list) => phones.replace(accountId, list)));
        expect(lists).toContainEqual(await phones.list(accountId));
      }
    });

    it('refuses a number twice in one list and keeps the previous list whole', async () => {
      await phones.replace(accountId, [mobile, office]);
      await expect(
        phones.replace(accountId, [home, { ...home, label: 'Again' }]),
      ).rejects.toThrow();
      expect(await phones.list(accountId)).toEqual([mobile, office]);
    });
  });

  describe('phone legs in call history', () => {
    let calls: CallStore;
    let accountId: number;
    const at = (seconds: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, seconds));

    const startCall = (id: string, seconds: number) =>
      calls.start({
        id,
        accountId,
        linkId: null,
        callerName: 'Grace',
        callerEmail: null,
        subject: null,
        video: false,
        startedAt: at(seconds),
        ringReasons: [],
      });

    beforeEach(async () => {
      calls = new CallStore(db);
      accountId = (
        await accounts.create({ email: 'ada@example.org', displayName: 'Ada', passwordHash: 'x' })
      ).id;
    });

    it('lists each call with its own legs, in the order they were made', async () => {
      await startCall('call-with-legs', 0);
      await startCall('call-without-legs', 30);
      const busy = await calls.phoneLegStarted('call-with-legs', {
        number: '+15551230001',
        trunk: 'carrier-a',
        startedAt: at(1),
      });
      await calls.phoneLegEnded(busy, { result: '486 Busy Here', endedAt: at(3) });
      const answered = await calls.phoneLegStarted('call-with-legs', {
        number: '+15551230002',
        trunk: 'carrier-b',
        startedAt: at(4),
      });
      expect(answered).toBeGreaterThan(busy);
      await calls.phoneLegAnswered(answered, at(6));
      await calls.phoneLegEnded(answered, { result: '200 OK', endedAt: at(6 + 83) });

      const [newest, oldest] = await calls.history(accountId);
      expect(newest).toMatchObject({ id: 'call-without-legs', phoneLegs: [] });
      expect(oldest?.id).toBe('call-with-legs');
      expect(oldest?.phoneLegs).toEqual([
        {
          number: '+15551230001',
          trunk: 'carrier-a',
          result: '486 Busy Here',
          startedAt: at(1).toISOString(),
          answeredAt: null,
          durationSeconds: null,
        },
        {
          number: '+15551230002',
          trunk: 'carrier-b',
          result: '200 OK',
          startedAt: at(4).toISOString(),
          answeredAt: at(6).toISOString(),
          durationSeconds: 83,
        },
      ]);
    });

    it('shows a live leg with no result and no duration yet', async () => {
      await startCall('call-ringing-a-phone', 0);
      const leg = await calls.phoneLegStarted('call-ringing-a-phone', {
        number: '+15551230001',
        trunk: 'carrier-a',
        startedAt: at(1),
      });
      await calls.phoneLegAnswered(leg, at(2));
      const [record] = await calls.history(accountId);
      expect(record?.phoneLegs).toEqual([
        {
          number: '+15551230001',
          trunk: 'carrier-a',
          result: null,
          startedAt: at(1).toISOString(),
          answeredAt: at(2).toISOString(),
          durationSeconds: null,
        },
      ]);
    });

    it('ends the records no node runs (a dead node left them open), once, and nothing else', async () => {
      // The live calls are the oldest: they must not hide the dead ones behind them.
      await startCall('running-on-another-node', 0);
      await startCall('running-here', 1);
      await startCall('ringing-when-node-died', 2);
      await startCall('answered-when-node-died', 3);
      await calls.answered('answered-when-node-died', { deviceId: 'd', label: 'Laptop' }, at(4));
      await startCall('just-started', 100);
      await startCall('ended-normally', 5);
      await calls.ended('ended-normally', { outcome: 'declined', endedAt: at(9) });
      const directory = new MemoryCallDirectory('other-node');
      await directory.open('running-on-another-node', accountId);
      const sweeper = new UnfinishedCalls({
        calls,
        directory,
        runsHere: (id) => id === 'running-here',
        // Two at a time: the first page holds only the live calls.
        batch: 2,
        logger: createLogger('silent'),
      });
      try {
        // A minute and a half after the first start: 'just-started' is too young to judge.
        expect(await sweeper.sweep(at(90))).toBe(2);
        const records = new Map((await calls.history(accountId)).map((call) => [call.id, call]));
        expect(records.get('ringing-when-node-died')).toMatchObject({
          outcome: 'missed',
          endedAt: at(90).toISOString(),
        });
        expect(records.get('answered-when-node-died')).toMatchObject({
          outcome: 'answered',
          durationSeconds: 86,
        });
        for (const id of ['running-on-another-node', 'running-here', 'just-started']) {
          expect(records.get(id)?.endedAt).toBeNull();
        }
        expect(records.get('ended-normally')).toMatchObject({ outcome: 'declined' });
        // Another node sweeping the same records ends none of them again.
        expect(await sweeper.sweep(at(95))).toBe(0);
      } finally {
        sweeper.close();
      }
    });

    it('refuses a leg for a call that does not exist', async () => {
      await expect(
        calls.phoneLegStarted('no-such-call', {
          number: '+15551230001',
          trunk: 'carrier-a',
          startedAt: at(1),
        }),
      ).rejects.toThrow();
    });
  });
});
