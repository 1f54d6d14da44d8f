// Voice messages: taken from a reply page (checked, stored durably, once per
// upload key), announced to the sender's desk apps and by email, then listed,
// played, marked heard and deleted by the sender.
import { channels } from '../calls/channels.js';
import { ErrorCode } from '../../protocol/errors.js';
import type {
  VoicemailUpload,
  VoicemailUploaded,
  VoicemailView,
} from '../../protocol/voicemail.js';
import type { Logger } from '../logger.js';
import type { VoxServer } from '../realtime/typed-server.js';
import { RequestError } from '../errors.js';
import { randomToken } from '../security/tokens.js';
import type { CallStore } from '../store/call-store.js';
import { linkUsable, type LinkStore } from '../store/link-store.js';
import type { Voicemail, VoicemailStore } from '../store/voicemail-store.js';
import { checkRecording, RecordingError } from './recording-check.js';
import type { VoicemailFiles } from './voicemail-files.js';

/**
 * Messages one sender keeps at most: a reply link is in every email, so
 * strangers must not be able to fill the disk; the sender deletes to make room.
 */
export const MAX_VOICEMAILS_PER_SENDER = 100;
/** Unheard messages one link may have waiting: one stranger cannot fill the mailbox. */
export const MAX_UNHEARD_PER_LINK = 5;

export interface VoicemailServiceOptions {
  store: VoicemailStore;
  files: VoicemailFiles;
  links: LinkStore;
  calls: CallStore;
  io: VoxServer;
  maxSeconds: number;
  /** Told of each new message and its recording's file (the email to the sender). */
  onNew?: (message: Voicemail, recordingPath: string) => void;
  logger: Logger;
}

export class VoicemailService {
  readonly #options: VoicemailServiceOptions;

  constructor(options: VoicemailServiceOptions) {
    this.#options = options;
  }

  /** The most bytes an upload may have: a generous bit rate times the longest message. */
  get maxBytes(): number {
    return Math.max(1024 * 1024, this.#options.maxSeconds * 16_000);
  }

  async upload(token: string, upload: VoicemailUpload, bytes: Buffer): Promise<VoicemailUploaded> {
    const { store, files, links, calls, io, logger } = this.#options;
    const link = await links.findByToken(token);
    if (!link || !linkUsable(link))
      throw new RequestError(ErrorCode.NotFound, 'this reply link no longer works');
    // A retry of an upload that was stored: the same message, not a second one.
    const stored = await store.findByUploadKey(link.id, upload.key);
    if (stored) return uploaded(stored);

    if ((await store.countUnheard(link.id)) >= MAX_UNHEARD_PER_LINK)
      throw new RequestError(
        ErrorCode.Conflict,
        `${MAX_UNHEARD_PER_LINK} messages from this link are waiting to be heard: try again later`,
      );
    if ((await store.count(link.accountId)) >= MAX_VOICEMAILS_PER_SENDER)
      throw new RequestError(
        ErrorCode.Conflict,
        'the mailbox is full: the sender has to delete messages before new ones fit',
      );
    const durationMs = await checkRecording(bytes, this.#options.maxSeconds).catch(
      (error: unknown) => {
        if (!(error instanceof RecordingError)) throw error;
        throw new RequestError(
          error.problem === 'not_ogg_opus' ? ErrorCode.UnsupportedMedia : ErrorCode.BadRequest,
          error.message,
        );
      },
    );
    const callId =
      upload.callId && (await calls.cameThrough(upload.callId, link.id)) ? upload.callId : null;
    const id = randomToken(12);
    await files.write(id, bytes);
    const created = await store.create({
      id,
      accountId: link.accountId,
      linkId: link.id,
      callId,
      callerName: upload.callerName,
      callerEmail: link.recipientEmail,
      subject: link.subject,
      durationMs,
      bytes: bytes.length,
      uploadKey: upload.key,
    });
    if (!created) {
      // Two copies of one upload raced; the other one is stored.
      await files.remove(id);
      const winner = await store.findByUploadKey(link.id, upload.key);
      if (!winner) throw new Error('voice message vanished during a duplicate upload');
      return uploaded(winner);
    }
    const message = await store.find(link.accountId, id);
    if (!message) throw new Error('voice message vanished after it was stored');
    logger.info({ voicemailId: id, accountId: link.accountId, durationMs }, 'voice message stored');
    io.to(channels.account(link.accountId)).emit('voicemail:new', toView(message));
    this.#options.onNew?.(message, files.path(id));
    return uploaded(message);
  }

  async list(accountId: number): Promise<VoicemailView[]> {
    return (await this.#options.store.list(accountId)).map(toView);
  }

  /** The recording's file, for its owner only. */
  async audioFile(accountId: number, id: string): Promise<string> {
    if (!(await this.#options.store.find(accountId, id)))
      throw new RequestError(ErrorCode.NotFound, 'no such voice message');
    return this.#options.files.path(id);
  }

  async markHeard(accountId: number, id: string, heard: boolean): Promise<void> {
    if (!(await this.#options.store.markHeard(accountId, id, heard)))
      throw new RequestError(ErrorCode.NotFound, 'no such voice message');
  }

  /** The record first: a crash then leaves an unreferenced file, never a message without audio. */
  async delete(accountId: number, id: string): Promise<void> {
    if (!(await this.#options.store.delete(accountId, id)))
      throw new RequestError(ErrorCode.NotFound, 'no such voice message');
    await this.#options.files.remove(id);
  }
}

function uploaded(message: Voicemail): VoicemailUploaded {
  return { id: message.id, durationSeconds: Math.round(message.durationMs / 100) / 10 };
}

function toView(message: Voicemail): VoicemailView {
  return {
    id: message.id,
    callerName: message.callerName,
    callerEmail: message.callerEmail,
    subject: message.subject,
    durationSeconds: Math.round(message.durationMs / 100) / 10,
    createdAt: message.createdAt.toISOString(),
    heardAt: message.heardAt?.toISOString() ?? null,
  };
}
