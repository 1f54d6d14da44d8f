// Voice messages over HTTP: a reply page uploads one (the body is the Ogg/Opus
// recording, the query names the caller and the upload); the sender lists,
// plays, marks and deletes theirs.
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { linkTokenSchema } from '../../protocol/links.js';
import { updateVoicemailSchema, voicemailUploadSchema } from '../../protocol/voicemail.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { SessionStore } from '../store/session-store.js';
import type { VoicemailService } from '../voicemail/voicemail-service.js';
import { parseBody } from './http-errors.js';
import { accountOf } from './session-cookie.js';

export interface VoicemailRoutesOptions {
  voicemail: VoicemailService;
  sessions: SessionStore;
  limits: RateLimits;
}

const tokenParams = z.object({ token: linkTokenSchema });
const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{16}$/, 'is not a message id') });

export const voicemailRoutes: FastifyPluginAsync<VoicemailRoutesOptions> = (app, options) => {
  const { voicemail, sessions, limits } = options;
  // Only here (this plugin's scope) may a body be audio, up to the longest message.
  app.addContentTypeParser(
    'audio/ogg',
    { parseAs: 'buffer', bodyLimit: voicemail.maxBytes },
    (_request, body, done) => done(null, body),
  );

  app.post('/api/reply/:token/voicemail', async (request, reply) => {
    const { token } = parseBody(tokenParams, request.params);
    const upload = parseBody(voicemailUploadSchema, request.query);
    await limits.take(limits.voicemailPerIp, request.ip);
    await limits.take(limits.voicemailPerLink, token);
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const stored = await voicemail.upload(token, upload, body);
    return reply.status(201).send(stored);
  });

  app.get('/api/voicemails', async (request) => voicemail.list(await accountOf(request, sessions)));

  app.get('/api/voicemails/:id/audio', async (request, reply) => {
    const accountId = await accountOf(request, sessions);
    const { id } = parseBody(idParams, request.params);
    const file = await voicemail.audioFile(accountId, id);
    return reply
      .type('audio/ogg')
      .header('cache-control', 'private, no-store')
      .send(createReadStream(file));
  });

  app.patch('/api/voicemails/:id', async (request, reply) => {
    const accountId = await accountOf(request, sessions);
    const { id } = parseBody(idParams, request.params);
    const { heard } = parseBody(updateVoicemailSchema, request.body);
    await voicemail.markHeard(accountId, id, heard);
    return reply.status(204).send();
  });

  app.delete('/api/voicemails/:id', async (request, reply) => {
    const accountId = await accountOf(request, sessions);
    const { id } = parseBody(idParams, request.params);
    await voicemail.delete(accountId, id);
    return reply.status(204).send();
  });

  return Promise.resolve();
};
