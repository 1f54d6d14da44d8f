// The chat-email bursts on SQLite and on PostgreSQL, opened as the server opens
// them: a burst grows with each message and ends when read; several nodes
// scanning the same rows claim a due burst once, and only the claim that still
// holds may close it (so only one node ever sends its email).
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../server/store/account-store.js';
import { ChatEmailStore, type ChatBurst } from '../../server/store/chat-email-store.js';
import { ChatStore } from '../../server/store/chat-store.js';
import { migrateToLatest, openDatabase } from '../../server/store/database.js';
import { LinkStore } from '../../server/store/link-store.js';
import type { Database } from '../../server/store/schema.js';
import { storeBackends } from '../support/store-backends.js';

const backends = storeBackends();

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds));

describe.each(Object.entries(backends))('chat email bursts on %s', (_kind, location) => {
  let db: Kysely<Database>;
  let bursts: ChatEmailStore;
  let chats: ChatStore;
  let linkId: number;

  beforeEach(async () => {
    db = openDatabase(await location());
    await migrateToLatest(db);
    const account = await new AccountStore(db).create({
      email: 'ada@example.org',
      displayName: 'Ada',
      passwordHash: 'x',
    });
    const link = await new LinkStore(db).create({
      accountId: account.id,
      kind: 'recipient',
      token: 'token-of-the-link-0123',
    });
    linkId = link.id;
    bursts = new ChatEmailStore(db);
    chats = new ChatStore(db);
  });

  afterEach(async () => {
    await db.destroy();
  });

  /** Grace writes `text` at `second`; her burst to the sender is due 5 s later. */
  async function write(text: string, second: number): Promise<number> {
    const { message } = await chats.add(linkId, 'caller', 'Grace', text, undefined, at(second));
    await bursts.noteMessage(linkId, 'sender', message.id, at(second + 5));
    return message.id;
  }

  async function only(now: Date): Promise<ChatBurst> {
    const due = await bursts.due(now, 10);
    expect(due).toHaveLength(1);
    return due[0] as ChatBurst;
  }

  it('grows a burst with each message and makes it due after the last one’s quiet', async () => {
    const first = await write('one', 0);
    await write('two', 2);
    const last = await write('three', 4);
    expect(await bursts.due(at(8), 10)).toEqual([]);
    expect(await only(at(9))).toEqual({
      linkId,
      addressee: 'sender',
      firstMessageId: first,
      lastMessageId: last,
      dueAt: at(9),
    });
    // An older message noted late changes nothing.
    await bursts.noteMessage(linkId, 'sender', first, at(30));
    expect((await only(at(9))).lastMessageId).toBe(last);
    const unread = await chats.unreadBetween(linkId, 'caller', first, last, 2);
    expect(unread.total).toBe(3);
    expect(unread.messages.map((m) => m.text)).toEqual(['two', 'three']);
  });

  it('ends a burst read to its end, and keeps what was not read yet', async () => {
    const first = await write('one', 0);
    const second = await write('two', 1);
    await bursts.noteRead(linkId, 'sender', first);
    expect((await only(at(6))).firstMessageId).toBe(second);
    await bursts.noteRead(linkId, 'sender', second);
    expect(await bursts.due(at(60), 10)).toEqual([]);
  });

  it('lets one of several nodes claim a due burst, and only a claim that holds close it', async () => {
    await write('one', 0);
    const burst = await only(at(5));
    const claims = await Promise.all(
      ['node-a', 'node-b', 'node-c'].map((claim) => bursts.claim(burst, claim, at(5), at(65))),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = ['node-a', 'node-b', 'node-c'][claims.indexOf(true)] ?? '';
    // Claimed: no node sees it due until the claim runs out.
    expect(await bursts.due(at(30), 10)).toEqual([]);
    // The winner stalls past its claim; another node takes the burst over.
    expect(await bursts.claim(burst, 'node-d', at(66), at(126))).toBe(true);
    expect(await bursts.close(burst, winner, burst.lastMessageId)).toBe(false);
    expect(await bursts.close(burst, 'node-d', burst.lastMessageId)).toBe(true);
    expect(await bursts.due(at(600), 10)).toEqual([]);
  });

  it('keeps messages that came during a claim as the next burst', async () => {
    await write('one', 0);
    const burst = await only(at(5));
    expect(await bursts.claim(burst, 'node-a', at(5), at(65))).toBe(true);
    const later = await write('two', 6);
    expect(await bursts.close(burst, 'node-a', burst.lastMessageId)).toBe(true);
    expect(await only(at(11))).toMatchObject({ firstMessageId: later, lastMessageId: later });
  });

  it('gives a postponed burst back, due again later', async () => {
    await write('one', 0);
    const burst = await only(at(5));
    expect(await bursts.claim(burst, 'node-a', at(5), at(65))).toBe(true);
    await bursts.postpone(burst, 'node-a', at(10));
    expect(await bursts.due(at(9), 10)).toEqual([]);
    expect((await only(at(10))).dueAt).toEqual(at(10));
  });
});
