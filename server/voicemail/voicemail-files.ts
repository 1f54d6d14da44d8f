// The recordings, one file each under DATA_DIR/voicemail, written durably:
// the caller sees "Message sent" only once the bytes are on disk.
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { syncFolder, writeDurably } from '../store/durable-files.js';

export class VoicemailFiles {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  path(id: string): string {
    return path.join(this.#dir, `${id}.ogg`);
  }

  async write(id: string, bytes: Buffer): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const temporary = path.join(this.#dir, `.${id}.partial`);
    await writeDurably(temporary, bytes);
    await rename(temporary, this.path(id));
    await syncFolder(this.#dir);
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }
}
