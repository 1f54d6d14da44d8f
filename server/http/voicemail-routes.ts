// Voice messages over HTTP: a reply page uploads one (public; the body is the
// Ogg/Opus recording, the query names the caller and the upload); the sender
// lists, plays, marks and deletes theirs (in the authenticated scope).
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { linkTokenSchema } from '../../protocol/links.js';
import { updateVoicemailSchema, voicemailUploadSchema } from '../../protocol/voicemail.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { VoicemailService } from '../voicemail/voicemail-service.js';
import { parseBody } from './http-errors.js';

export interface VoicemailUploadRoutesOptions {
  voicemail: VoicemailService;
  limits: RateLimits;
}

export interface VoicemailRoutesOptions {
  voicemail: VoicemailService;
}

const tokenParams = z.object({ token: linkTokenSchema });
const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{16}$/, 'is not a message id') });

/** Only in the voice message plugins' scopes may a body be audio, up to the longest message. */
function acceptRecordings(app: FastifyInstance, voicemail: VoicemailService): void {
  app.addContentTypeParser(
    'audio/ogg',
    { parseAs: 'buffer', bodyLimit: voicemail.maxBytes },
    (_request, body, done) => done(null, body),
  );
}

/** Public: the reply page uploads without a session (limited per address and per link). */
export const voicemailUploadRoutes: FastifyPluginAsync<VoicemailUploadRoutesOptions> = (
  app,
  { voicemail, limits },
) => {
  acceptRecordings(app, voicemail);

  app.post('/api/reply/:token/voicemail', async (request, reply) => {
    const { token } = parseBody(tokenParams, request.params);
    const upload = parseBody(voicemailUploadSchema, request.query);
    await limits.take(limits.voicemailPerIp, request.ip);
    await limits.take(limits.voicemailPerLink, token);
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const stored = await voicemail.upload(token, upload, body);
    return reply.status(201).send(stored);
  });

  return Promise.resolve();
};

/** Routes of the authenticated scope: `request.accountId` is the logged-in account. */
export const voicemailRoutes: FastifyPluginAsync<VoicemailRoutesOptions> = (app, { voicemail }) => {
  // These routes shared the upload's scope before the authenticated scope
  // existed; an audio body still parses here so that answers stay as they were
  // (a PATCH with one: 400, not 415).
  acceptRecordings(app, voicemail);

  app.get('/api/voicemails', async (request) => voicemail.list(request.accountId));

  app.get('/api/voicemails/:id/audio', async (request, reply) => {
    const { id } = parseBody(idParams, request.params);
    const file = await voicemail.audioFile(request.accountId, id);
    return reply
      .type('audio/ogg')
      .header('cache-control', 'private, no-store')
      .send(createReadStream(file));
  });

  app.patch('/api/voicemails/:id', async (request, reply) => {
    const { id } = parseBody(idParams, request.params);
    const { heard } = parseBody(updateVoicemailSchema, request.body);
    await voicemail.markHeard(request.accountId, id, heard);
    return reply.status(204).send();
  });

  app.delete('/api/voicemails/:id', async (request, reply) => {
    const { id } = parseBody(idParams, request.params);
    await voicemail.delete(request.accountId, id);
    return reply.status(204).send();
  });

  return Promise.resolve();
};
