// The call directory in Redis, for several nodes. Each transition is one
// atomic step (a Lua script or a single command), so two nodes racing on
// one call id or one account can never both win:
//   voxreply:call:<id>        hash {node, account, answered, snapshot}  (open: only if absent)
//   voxreply:busy:<account>   sorted set: answered call id -> expiry (ms)
// The owner refreshes its entries every few seconds; the entries of a node
// that died expire (30 s), and after a Redis restart the owner writes its
// calls again (it is the only one that knows them). A node takes over the
// call of a node that died by compare-and-set on `node`.
import { callSnapshotSchema, type CallSnapshot } from '../../protocol/cluster.js';
import type { CallDirectory } from '../calls/call-directory.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from './node-bus.js';

const ENTRY_TTL_MS = 30_000;
const REFRESH_MS = 5_000;

const callKey = (callId: string): string => `voxreply:call:${callId}`;
const busyKey = (accountId: number): string => `voxreply:busy:${accountId}`;

/** Creates the entry only if no node has it; returns 1 when created. */
const OPEN = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'account', ARGV[2], 'answered', '0', 'snapshot', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** Marks it answered and the sender busy, only for the node that runs it. */
const ANSWERED = `
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'answered', '1')
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'snapshot', ARGV[4]) end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1`;

/** Removes it, only for the node that runs it. */
const CLOSE = `
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1`;

/** Writes an entry again (refresh, or rebuild after Redis lost it), unless another node has it. */
const REFRESH = `
local node = redis.call('HGET', KEYS[1], 'node')
if node and node ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'account', ARGV[2], 'answered', ARGV[3], 'snapshot', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[3] == '1' then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6]) end
return 1`;

/** Moves the call from a node that died to this one, only if that node still has it. */
const TAKE_OVER = `
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[2], 'snapshot', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if redis.call('HGET', KEYS[1], 'answered') == '1' then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6]) end
return 1`;

interface OwnCall {
  accountId: number;
  answered: boolean;
  /** JSON, or '' when the call cannot be taken over (a phone calling in). */
  snapshot: string;
}

export class RedisCallDirectory implements CallDirectory {
  readonly #redis: RedisClient;
  readonly #node: string;
  readonly #log: Logger;
  readonly #mine = new Map<string, OwnCall>();
  readonly #timer: NodeJS.Timeout;
  #onLost: (callId: string) => void = () => undefined;

  constructor(redis: RedisClient, node: string, logger: Logger) {
    this.#redis = redis;
    this.#node = node;
    this.#log = logger.child({ component: 'call-directory' });
    this.#timer = setInterval(() => void this.#refreshAll(), REFRESH_MS);
    this.#timer.unref();
    redis.on('ready', () => void this.#refreshAll());
  }

  async open(callId: string, accountId: number, snapshot?: CallSnapshot): Promise<boolean> {
    const json = snapshot ? JSON.stringify(snapshot) : '';
    const created = await this.#redis.eval(OPEN, {
      keys: [callKey(callId)],
      arguments: [this.#node, String(accountId), String(ENTRY_TTL_MS), json],
    });
    if (created === 1) this.#mine.set(callId, { accountId, answered: false, snapshot: json });
    return created === 1;
  }

  async answered(callId: string, snapshot?: CallSnapshot): Promise<void> {
    const own = this.#mine.get(callId);
    if (!own) return;
    own.answered = true;
    if (snapshot) own.snapshot = JSON.stringify(snapshot);
    await this.#redis.eval(ANSWERED, {
      keys: [callKey(callId), busyKey(own.accountId)],
      arguments: [
        this.#node,
        callId,
        String(Date.now() + ENTRY_TTL_MS),
        snapshot ? own.snapshot : '',
      ],
    });
  }

  async close(callId: string): Promise<void> {
    const own = this.#mine.get(callId);
    if (!own) return;
    this.#mine.delete(callId);
    await this.#redis.eval(CLOSE, {
      keys: [callKey(callId), busyKey(own.accountId)],
      arguments: [this.#node, callId],
    });
  }

  async owner(callId: string): Promise<string | undefined> {
    return (await this.#redis.hGet(callKey(callId), 'node')) ?? undefined;
  }

  async entry(
    callId: string,
  ): Promise<{ node: string; snapshot: CallSnapshot | undefined } | undefined> {
    const { node, snapshot } = await this.#redis.hGetAll(callKey(callId));
    if (!node) return undefined;
    return {
      node,
      snapshot: snapshot ? callSnapshotSchema.parse(JSON.parse(snapshot)) : undefined,
    };
  }

  async takeOver(callId: string, from: string, snapshot: CallSnapshot): Promise<boolean> {
    const json = JSON.stringify(snapshot);
    const taken = await this.#redis.eval(TAKE_OVER, {
      keys: [callKey(callId), busyKey(snapshot.accountId)],
      arguments: [
        from,
        this.#node,
        json,
        String(ENTRY_TTL_MS),
        String(Date.now() + ENTRY_TTL_MS),
        callId,
      ],
    });
    if (taken !== 1) return false;
    this.#mine.set(callId, {
      accountId: snapshot.accountId,
      answered: snapshot.answer !== null || snapshot.phone,
      snapshot: json,
    });
    return true;
  }

  async busy(accountId: number): Promise<boolean> {
    // Members past their expiry are calls of a node that died: not counted.
    return (await this.#redis.zCount(busyKey(accountId), Date.now(), '+inf')) > 0;
  }

  onLost(handler: (callId: string) => void): void {
    this.#onLost = handler;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #refreshAll(): Promise<void> {
    const expiry = String(Date.now() + ENTRY_TTL_MS);
    try {
      await Promise.all(
        [...this.#mine].map(async ([callId, own]) => {
          const kept = await this.#redis.eval(REFRESH, {
            keys: [callKey(callId), busyKey(own.accountId)],
            arguments: [
              this.#node,
              String(own.accountId),
              own.answered ? '1' : '0',
              String(ENTRY_TTL_MS),
              expiry,
              callId,
              own.snapshot,
            ],
          });
          // Another node took it over: this one had stalled and was taken for dead.
          if (kept !== 1 && this.#mine.delete(callId)) {
            this.#log.warn({ callId }, 'another node took over this call');
            this.#onLost(callId);
          }
        }),
      );
    } catch (error) {
      this.#log.warn({ err: error }, 'could not refresh the live calls in Redis');
    }
  }
}
