// Files that must survive a crash once we said they were stored: written and
// fsynced, then renamed into place with their folder fsynced (rename is atomic;
// the folder's fsync makes the new name itself durable).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** Writes `content` to `file` and fsyncs it (not yet its name: see `syncFolder`). */
export async function writeDurably(file: string, content: Readable | Buffer): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
  try {
    if (Buffer.isBuffer(content)) await writeAll(handle, content);
    else for await (const chunk of content) await writeAll(handle, chunk as Buffer);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** One write may be short (a nearly full disk): go on until every byte is written. */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, offset);
    if (bytesWritten === 0) throw new Error('no space left to write');
    offset += bytesWritten;
  }
}

/** Makes the names in a folder (new files, renames, removals) durable. */
export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
