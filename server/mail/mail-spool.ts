// The relay's durable spool: a message is on disk and fsynced before the relay
// answers 250, and its delivery state is rewritten atomically (write, fsync,
// rename, fsync the folder) as it moves on, so a relay killed at any point
// restarts knowing what was accepted and what was already delivered.
//
//   <dir>/incoming/  half-written entries (deleted at start: never acknowledged)
//   <dir>/queue/<id>.eml   the message as submitted (never changed)
//   <dir>/queue/<id>.json  its state (the entry exists once this exists)
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { syncFolder, writeDurably } from '../store/durable-files.js';

/** One entry's state. `T` is what the delivery queue keeps about it. */
export interface SpoolEntry<T> {
  id: string;
  state: T;
}

export class MailSpool<T> {
  readonly #incoming: string;
  readonly #queue: string;

  private constructor(dir: string) {
    this.#incoming = path.join(dir, 'incoming');
    this.#queue = path.join(dir, 'queue');
  }

  /** Opens the spool, clearing what a crash left half-written. */
  static async open<T>(dir: string): Promise<MailSpool<T>> {
    const spool = new MailSpool<T>(dir);
    await rm(spool.#incoming, { recursive: true, force: true });
    await mkdir(spool.#incoming, { recursive: true });
    await mkdir(spool.#queue, { recursive: true });
    await spool.#removeOrphans();
    return spool;
  }

  /**
   * Stores a message and its first state durably; resolves once both are
   * fsynced and in the queue. `message` may be a stream (SMTP DATA) or bytes.
   * `check` reads the written message and may throw to refuse it (too big,
   * sent as someone else, ...): nothing is then queued.
   */
  async add(
    message: Readable | Buffer,
    state: T,
    check: (file: string) => Promise<void> = () => Promise.resolve(),
  ): Promise<string> {
    const id = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const eml = path.join(this.#incoming, `${id}.eml`);
    const json = path.join(this.#incoming, `${id}.json`);
    try {
      await writeDurably(eml, message);
      await check(eml);
      await writeDurably(json, jsonBytes(state));
      await syncFolder(this.#incoming);
    } catch (error) {
      await rm(eml, { force: true });
      await rm(json, { force: true });
      throw error;
    }
    // The message first: a state file in the queue always has its message.
    await rename(eml, this.#messagePath(id));
    await rename(json, this.#statePath(id));
    await syncFolder(this.#queue);
    return id;
  }

  /** Every entry in the queue, oldest first. */
  async list(): Promise<SpoolEntry<T>[]> {
    const names = (await readdir(this.#queue)).filter((name) => name.endsWith('.json')).sort();
    const entries: SpoolEntry<T>[] = [];
    for (const name of names) {
      const id = name.slice(0, -'.json'.length);
      entries.push({ id, state: JSON.parse(await readFile(this.#statePath(id), 'utf8')) as T });
    }
    return entries;
  }

  messagePath(id: string): string {
    return this.#messagePath(id);
  }

  /** Replaces an entry's state atomically. */
  async update(id: string, state: T): Promise<void> {
    const temporary = path.join(this.#incoming, `${id}.json`);
    await writeDurably(temporary, jsonBytes(state));
    await rename(temporary, this.#statePath(id));
    await syncFolder(this.#queue);
  }

  /** Removes a finished entry: its state first, so a crash leaves only an orphan message. */
  async remove(id: string): Promise<void> {
    await rm(this.#statePath(id), { force: true });
    await syncFolder(this.#queue);
    await rm(this.#messagePath(id), { force: true });
  }

  #messagePath(id: string): string {
    return path.join(this.#queue, `${id}.eml`);
  }

  #statePath(id: string): string {
    return path.join(this.#queue, `${id}.json`);
  }

  /** Messages without a state: a crash during add (never acknowledged) or remove (finished). */
  async #removeOrphans(): Promise<void> {
    const names = new Set(await readdir(this.#queue));
    for (const name of names) {
      if (name.endsWith('.eml') && !names.has(`${name.slice(0, -'.eml'.length)}.json`))
        await rm(path.join(this.#queue, name), { force: true });
    }
  }
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 1)}\n`);
}
