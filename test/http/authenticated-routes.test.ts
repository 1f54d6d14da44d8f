// Every route that acts for an account refuses a request without a live
// session, because it is registered inside the authenticated scope and not
// because its handler remembers to check. A walk of the real route table
// (server/http/http-api.ts over real stores, in this process): each route not
// on the public list below is asked without a session cookie, with a cookie of
// no session and with an expired session, and must give the one refusal; with
// a live session it must not. A new route fails here until it is either inside
// the scope or added to the public list.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { Server } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_HEADER } from '../../protocol/http.js';
import { registerHttpApi } from '../../server/http/http-api.js';
import { createHttpServer } from '../../server/http/http-server.js';
import { SESSION_COOKIE } from '../../server/http/session-cookie.js';
import { LinkService } from '../../server/links/link-service.js';
import { createLogger } from '../../server/logger.js';
import { createMetrics } from '../../server/metrics.js';
import { clientDistDir } from '../../server/project-paths.js';
import type { VoxServer } from '../../server/realtime/typed-server.js';
import { AddressConfirmations } from '../../server/security/address-confirmation.js';
import { PasswordResets } from '../../server/security/password-reset.js';
import { RateLimits } from '../../server/security/rate-limits.js';
import { SealedBox } from '../../server/security/sealed-box.js';
import { loadServerKey } from '../../server/security/server-key.js';
import { AccountStore } from '../../server/store/account-store.js';
import { AppPasswordStore } from '../../server/store/app-password-store.js';
import { CallStore } from '../../server/store/call-store.js';
import { migrateToLatest, openDatabase, storeLocation } from '../../server/store/database.js';
import { EmailConfirmationStore } from '../../server/store/email-confirmation-store.js';
import { LinkStore } from '../../server/store/link-store.js';
import { PasswordResetStore } from '../../server/store/password-reset-store.js';
import { DeviceStore } from '../../server/store/device-store.js';
import { PhoneStore } from '../../server/store/phone-store.js';
import { PushSubscriptionStore } from '../../server/store/push-subscription-store.js';
import type { Database } from '../../server/store/schema.js';
import { SESSION_LIFETIME_MS, SessionStore } from '../../server/store/session-store.js';
import { VoicemailStore } from '../../server/store/voicemail-store.js';
import { VoicemailFiles } from '../../server/voicemail/voicemail-files.js';
import { VoicemailService } from '../../server/voicemail/voicemail-service.js';

/** The routes anyone may use (HEAD answers as its GET does). */
const PUBLIC_ROUTES = [
  'GET /',
  'GET /app',
  // The installed desk app's parts: the browser fetches them before anyone logs in.
  'GET /app/sw.js',
  'GET /app/manifest.webmanifest',
  'GET /app/icons/icon-192.png',
  'GET /app/icons/icon-512.png',
  'GET /app/icons/maskable-192.png',
  'GET /app/icons/maskable-512.png',
  'GET /diag',
  'GET /r/:token',
  'GET /assets/*',
  'GET /b/:file',
  'GET /healthz',
  'GET /metrics',
  'POST /api/signup',
  'POST /api/confirm',
  'POST /api/login',
  // Forgotten passwords (ADR 025): asked and used without a session.
  'POST /api/password/forgot',
  'POST /api/password/reset',
  'POST /api/logout',
  'GET /api/session',
  'GET /api/reply/:token',
  'POST /api/reply/:token/voicemail',
];

const REFUSAL = { error: { code: 'unauthorized', message: 'log in first' } };

const PUBLIC_URL = 'http://127.0.0.1:8080';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-routes-'));
const logger = createLogger('silent');
let db: Kysely<Database>;
let http: FastifyInstance;
let io: VoxServer;
const routes: string[] = [];
const cookies = { noSession: '', expired: '', live: '' };

beforeAll(async () => {
  db = openDatabase(storeLocation(dataDir, undefined));
  await migrateToLatest(db);
  const accounts = new AccountStore(db);
  const sessions = new SessionStore(db);
  const linkStore = new LinkStore(db);
  const calls = new CallStore(db);
  const limits = new RateLimits(1000);
  io = new Server();
  ({ http } = await createHttpServer(
    {
      publicUrl: PUBLIC_URL,
      trustProxy: [],
      metricsAllow: ['loopback'],
      httpIdleTimeoutMs: 10_000,
      httpRequestTimeoutMs: 30_000,
      maxConnectionsPerAddress: 100,
    },
    limits,
    logger,
  ));
  http.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });
  await registerHttpApi(http, {
    health: { version: 'test', workersAlive: () => 1, workersConfigured: 1 },
    metrics: {
      registry: createMetrics({
        sipTrunks: () => [],
        socketConnections: () => 0,
        workersAlive: () => 1,
        routers: () => 0,
        sipDialogs: () => 0,
        phoneLegs: () => 0,
        mailQueue: () => 0,
      }).registry,
      allow: ['loopback'],
    },
    pages: { distDir: clientDistDir, diagnostics: true },
    sessions,
    accounts,
    links: new LinkService(linkStore, new SealedBox(loadServerKey(dataDir, undefined)), PUBLIC_URL),
    linkStore,
    calls,
    phones: new PhoneStore(db),
    appPasswords: new AppPasswordStore(db),
    voicemail: new VoicemailService({
      store: new VoicemailStore(db),
      files: new VoicemailFiles(path.join(dataDir, 'voicemail')),
      links: linkStore,
      calls,
      io,
      maxSeconds: 60,
      logger,
    }),
    limits,
    confirmations: new AddressConfirmations({
      accounts,
      codes: new EmailConfirmationStore(db),
      publicUrl: PUBLIC_URL,
      mail: undefined,
      logger,
    }),
    senderStatus: () => Promise.resolve('offline'),
    secureCookies: false,
    voicemailMaxSeconds: 60,
    relay: undefined,
    push: {
      publicKey: 'not-used-by-a-refused-request',
      devices: new DeviceStore(db),
      subscriptions: new PushSubscriptionStore(db),
    },
    senderDevices: {
      devices: new DeviceStore(db),
      directory: { connectedActivities: () => Promise.reject(new Error('not for a refusal')) },
      declineRing: () => Promise.reject(new Error('not for a refusal')),
    },
    onSettingsChanged: () => undefined,
    onLogout: () => undefined,
    onSessionsEnded: () => undefined,
    passwordResets: new PasswordResets({
      accounts,
      sessions,
      appPasswords: new AppPasswordStore(db),
      tokens: new PasswordResetStore(db),
      publicUrl: PUBLIC_URL,
      mail: undefined,
      logger,
    }),
    resetTokens: new PasswordResetStore(db),
    deleteAccount: () => Promise.reject(new Error('not for a refusal')),
    onRevoked: () => undefined,
  });
  await http.ready();

  const ada = await accounts.register({
    email: 'ada@example.org',
    displayName: 'Ada',
    passwordHash: 'not used here',
  });
  const longAgo = new Date(Date.now() - SESSION_LIFETIME_MS - 60_000);
  cookies.noSession = `${SESSION_COOKIE}=${'A'.repeat(43)}`;
  cookies.expired = `${SESSION_COOKIE}=${await sessions.create(ada.id, longAgo)}`;
  cookies.live = `${SESSION_COOKIE}=${await sessions.create(ada.id)}`;
});

afterAll(async () => {
  // io was never attached to a server: nothing of it to close.
  await http.close();
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A route's URL with its parameters filled in. */
function urlOf(route: string): string {
  return route
    .replace(':token', 'AAAAAAAAAAAAAAAAAAAAAA')
    .replace(':file', 'AAAAAAAAAAAAAAAAAAAAAA.png')
    .replace(/:[a-z]+/g, '1')
    .replace('*', 'x.js');
}

function ask(route: string, cookie: string | undefined, body?: string) {
  const [method = '', url = ''] = route.split(' ');
  return http.inject({
    method,
    url: urlOf(url),
    // Our own pages' header: the same-origin check lets the request through.
    headers: {
      [REQUEST_HEADER]: '1',
      ...(cookie === undefined ? {} : { cookie }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: body }),
  });
}

const isPublic = (route: string) => PUBLIC_ROUTES.includes(route.replace(/^HEAD /, 'GET '));

describe('the route table', () => {
  it('holds every public route it lists (the list is not stale)', () => {
    for (const route of PUBLIC_ROUTES) expect(routes, route).toContain(route);
  });

  it('refuses every other route without a live session, and lets a live one through', async () => {
    const guarded = routes.filter((route) => !isPublic(route));
    // The account's own routes are all there (a walk of nothing would pass).
    expect(guarded).toEqual(
      expect.arrayContaining([
        'GET /api/me',
        'PATCH /api/me/settings',
        'POST /api/confirm/resend',
        'GET /api/links',
        'GET /api/me/phones',
        'GET /api/voicemails',
        'GET /api/me/mail',
        'GET /api/links/signature/device',
        'POST /api/me/password',
        'GET /api/me/sessions',
        'DELETE /api/me/sessions/:id',
        'POST /api/me/sessions/end-others',
        'DELETE /api/me',
      ]),
    );
    for (const route of guarded) {
      for (const [what, cookie] of [
        ['no cookie', undefined],
        ['no such session', cookies.noSession],
        ['an expired session', cookies.expired],
      ] as const) {
        const answer = await ask(route, cookie);
        expect(answer.statusCode, `${route} with ${what}`).toBe(401);
        if (!route.startsWith('HEAD '))
          expect(answer.json(), `${route} with ${what}`).toEqual(REFUSAL);
      }
      const live = await ask(route, cookies.live);
      expect(live.statusCode, `${route} with a live session`).not.toBe(401);
    }
  });

  it('refuses before reading the body, so a stranger learns nothing of its checks', async () => {
    for (const route of ['POST /api/links', 'PATCH /api/me/settings', 'POST /api/confirm/resend']) {
      const answer = await ask(route, undefined, '{');
      expect(answer.statusCode, route).toBe(401);
      expect(answer.json(), route).toEqual(REFUSAL);
      // Logged in, the same body is a bad request.
      expect((await ask(route, cookies.live, '{')).statusCode, route).toBe(400);
    }
  });
});
