// What the relay remembers of relayed messages, on SQLite and on PostgreSQL:
// a link finds the Message-ID and subject of the email it was minted for (a
// voice message replies in that thread) and its own sealed token (a chat
// email to its recipient); recording twice, as a restarted relay does, keeps
// the first record.
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../server/store/account-store.js';
import { migrateToLatest, openDatabase } from '../../server/store/database.js';
import { LinkStore } from '../../server/store/link-store.js';
import { RelayedMessageStore } from '../../server/store/relayed-message-store.js';
import type { Database } from '../../server/store/schema.js';
import { storeBackends } from '../support/store-backends.js';

const backends = storeBackends();

describe.each(Object.entries(backends))('relayed messages on %s', (_kind, location) => {
  let db: Kysely<Database>;

  beforeEach(async () => {
    db = openDatabase(await location());
    await migrateToLatest(db);
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('gives a link its email’s Message-ID and subject, and its sealed token', async () => {
    const accounts = new AccountStore(db);
    const ada = await accounts.create({
      email: 'ada@example.org',
      displayName: 'Ada',
      passwordHash: 'x',
    });
    const eve = await accounts.create({
      email: 'eve@example.org',
      displayName: 'Eve',
      passwordHash: 'x',
    });
    const links = new LinkStore(db);
    const relayed = new RelayedMessageStore(db);
    const mint = (accountId: number, token: string, messageKey?: string) =>
      links.create({ accountId, kind: 'recipient', token, ...(messageKey ? { messageKey } : {}) });
    const grace = await mint(ada.id, 'token-for-grace-0123456', 'spool-1');
    const bob = await mint(ada.id, 'token-for-bob-012345678', 'spool-1');
    // Another account's link that happens to name the same key finds nothing of Ada's.
    const stranger = await mint(eve.id, 'token-for-eve-012345678', 'spool-1');
    const typed = await mint(ada.id, 'token-typed-in-desk-0123');

    const message = {
      messageKey: 'spool-1',
      accountId: ada.id,
      messageId: '<m1@ada>',
      subject: 'Q3',
    };
    await relayed.remember(grace.id, 'sealed-grace', message);
    // A relay restarted mid-message records again: the first record stays.
    await relayed.remember(grace.id, 'sealed-other', { ...message, messageId: '<other@x>' });
    await relayed.remember(bob.id, 'sealed-bob', message);

    expect(await relayed.forLink(grace.id)).toEqual(message);
    expect(await relayed.forLink(bob.id)).toEqual(message);
    expect(await relayed.forLink(stranger.id)).toBeUndefined();
    expect(await relayed.forLink(typed.id)).toBeUndefined();
    expect(await relayed.sealedToken(grace.id)).toBe('sealed-grace');
    expect(await relayed.sealedToken(bob.id)).toBe('sealed-bob');
    expect(await relayed.sealedToken(typed.id)).toBeUndefined();
  });
});
