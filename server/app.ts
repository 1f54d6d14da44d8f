// The composition root: builds every part from validated config and wires them.
// Nothing else constructs long-lived parts.
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { SipGateway } from '../gateway/sip-gateway.js';
import { RtpRelay } from '../media/rtp-relay.js';
import { WorkerPool } from '../media/worker-pool.js';
import { CallOrchestrator } from './calls/call-orchestrator.js';
import { UnfinishedCalls } from './calls/unfinished-calls.js';
import type { Config } from './config.js';
import { accountRoutes } from './http/account-routes.js';
import { clientRoutes } from './http/client-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { connectionGuard } from './http/connection-guard.js';
import { frameworkErrors, installErrorHandler } from './http/http-errors.js';
import { deviceRoutes } from './http/device-routes.js';
import { linkRoutes } from './http/link-routes.js';
import { mailRoutes } from './http/mail-routes.js';
import { metricsRoutes } from './http/metrics-routes.js';
import { voicemailRoutes } from './http/voicemail-routes.js';
import { phoneRoutes } from './http/phone-routes.js';
import { SESSION_COOKIE, sessionChannel } from './http/session-cookie.js';
import { installWebGuards, sameOrigin } from './http/web-guards.js';
import { LinkService } from './links/link-service.js';
import type { Logger } from './logger.js';
import { startMail, type Mail } from './mail/mail.js';
import { createMetrics } from './metrics.js';
import { Presence } from './presence/presence.js';
import { senderStatusOf } from './presence/device-directory.js';
import { joinCluster, singleNode } from './cluster/cluster.js';
import { clientDistDir, projectVersion } from './project-paths.js';
import { CallHandlers } from './realtime/call-handlers.js';
import { ChatHandlers } from './realtime/chat-handlers.js';
import { GroupHandlers } from './realtime/group-handlers.js';
import { useRedisAdapter } from './realtime/redis-adapter.js';
import { DeviceHandlers } from './realtime/device-handlers.js';
import { DiagnosticsRooms } from './realtime/diagnostics-rooms.js';
import { MediaSignaling } from './realtime/media-signaling.js';
import { createSocketServer } from './realtime/socket-server.js';
import type { VoxServer } from './realtime/typed-server.js';
import { AddressConfirmations } from './security/address-confirmation.js';
import { RateLimits } from './security/rate-limits.js';
import { SealedBox } from './security/sealed-box.js';
import { loadServerKey } from './security/server-key.js';
import { AccountStore } from './store/account-store.js';
import { EmailConfirmationStore } from './store/email-confirmation-store.js';
import { AppPasswordStore } from './store/app-password-store.js';
import { CallStore } from './store/call-store.js';
import { ChatStore } from './store/chat-store.js';
import { migrateToLatest, openDatabase, storeLocation } from './store/database.js';
import { DeviceStore } from './store/device-store.js';
import { LinkStore } from './store/link-store.js';
import { PhoneStore } from './store/phone-store.js';
import type { Database } from './store/schema.js';
import { SessionStore } from './store/session-store.js';
import { VoicemailStore } from './store/voicemail-store.js';
import { VoicemailFiles } from './voicemail/voicemail-files.js';
import { VoicemailService } from './voicemail/voicemail-service.js';

export interface App {
  io: VoxServer;
  pool: WorkerPool;
  db: Kysely<Database>;
  /** Listening URL (the bound address, which for port 0 differs from config). */
  url: string;
  close(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger): Promise<App> {
  const location = storeLocation(config.dataDir, config.databaseUrl);
  const db = openDatabase(location);
  const applied = await migrateToLatest(db);
  logger.info({ store: location.kind, applied }, 'store ready');
  const accounts = new AccountStore(db);
  const sessions = new SessionStore(db);
  const deviceStore = new DeviceStore(db);
  const linkStore = new LinkStore(db);
  const callStore = new CallStore(db);
  const phoneStore = new PhoneStore(db);
  const appPasswords = new AppPasswordStore(db);
  const box = new SealedBox(loadServerKey(config.dataDir, config.secretKey));
  const links = new LinkService(linkStore, box, config.publicUrl);
  const limits = new RateLimits(config.rateLimitMultiplier);

  const pool = await WorkerPool.create({
    size: config.mediasoupWorkers,
    rtcMinPort: config.rtcMinPort,
    rtcMaxPort: config.rtcMaxPort,
    webRtcServer: {
      listenIp: config.rtcListenIp,
      announcedAddress: config.announcedAddress,
      basePort: config.webRtcServerPort,
    },
    logger: logger.child({ component: 'media' }),
  });

  const httpLogger: FastifyBaseLogger = logger.child({ component: 'http' });
  // Node's HTTP server with request deadlines and a cap per address (ADR 011's
  // uploads are the slowest legitimate requests).
  const guard = connectionGuard({
    idleTimeoutMs: config.httpIdleTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    trustProxy: config.trustProxy,
    logger: logger.child({ component: 'http' }),
  });
  const http = Fastify({
    loggerInstance: httpLogger,
    serverFactory: guard.serverFactory,
    clientErrorHandler: guard.clientErrorHandler,
    bodyLimit: 64 * 1024,
    // Behind a TLS proxy every request comes from the proxy: rate limits must
    // key on the client address the proxy reports.
    ...(config.trustProxy.length > 0 ? { trustProxy: config.trustProxy } : {}),
    // Errors raised before routing (a malformed URL) in the app's own shape.
    frameworkErrors,
  });
  // JSON only: a text/plain body is a "simple" cross-site request (CSRF).
  http.removeContentTypeParser('text/plain');
  await http.register(fastifyCookie);
  installErrorHandler(http);
  // Before any route: headers, the same-origin check, link lookup limits.
  const publicOrigin = new URL(config.publicUrl).origin;
  installWebGuards(http, { publicOrigin, limits });

  const io = createSocketServer(http.server, {
    version: projectVersion,
    logger,
    trustProxy: config.trustProxy,
    maxSocketsPerAddress: config.maxConnectionsPerAddress,
    allowRequest: guard.allowRequest,
  });
  const redis = config.redisUrl ? await useRedisAdapter(io, config.redisUrl, logger) : undefined;
  const presence = new Presence();
  const cluster = redis
    ? await joinCluster(io, redis, presence, pool, config.mediaPlacement, logger)
    : singleNode(presence);
  // Desk-app sockets carry the session cookie; reply pages are anonymous.
  io.use((socket, next) => {
    const token = http.parseCookie(socket.handshake.headers.cookie ?? '')[SESSION_COOKIE];
    // A page of another origin (even same-site) may not act with the user's session.
    // A browser sends Origin on WebSocket handshakes; other clients send none.
    const { origin, host } = socket.handshake.headers;
    if (!token || (origin !== undefined && !sameOrigin(origin, host, publicOrigin))) {
      next();
      return;
    }
    sessions.accountFor(token).then(
      (accountId) => {
        if (accountId !== undefined) {
          socket.data.accountId = accountId;
          // Logging out ends this session's sockets too (see onLogout).
          void socket.join(sessionChannel(token));
        }
        next();
      },
      (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
    );
  });

  const gateway =
    config.sipTrunks.length > 0
      ? new SipGateway({
          listenIp: config.rtcListenIp,
          port: config.sipPort,
          publicAddress: config.announcedAddress,
          tls: config.sipTls,
          trunks: config.sipTrunks,
          numbers: config.sipNumbers,
          logger: logger.child({ component: 'sip' }),
          media: {
            listenIp: config.rtcListenIp,
            announcedAddress: config.announcedAddress,
            portRange: { min: config.rtcMinPort, max: config.rtcMaxPort },
          },
        })
      : undefined;

  const mail: Mail | undefined = config.mail
    ? await startMail(config.mail, {
        dataDir: config.dataDir,
        publicUrl: config.publicUrl,
        accounts,
        appPasswords,
        links,
        box,
        limits,
        logger: logger.child({ component: 'mail' }),
      })
    : undefined;

  const signaling = new MediaSignaling(io, logger, config.ice, cluster.routing);
  const calls = new CallOrchestrator({
    io,
    signaling,
    pool,
    presence,
    deviceDirectory: cluster.deviceDirectory,
    callDirectory: cluster.callDirectory,
    nodeId: cluster.nodeId,
    resumable: cluster.routing !== undefined,
    accounts,
    devices: deviceStore,
    links: linkStore,
    calls: callStore,
    phones: phoneStore,
    gateway,
    ...(mail ? { onMissed: (missed) => mail.notices.missedCall(missed) } : {}),
    logger,
  });
  gateway?.on('incomingCall', (call, email) => {
    calls.startFromPhone(call, email).catch((error: unknown) => {
      logger.error({ err: error, number: call.number }, 'could not take a phone call');
      call.reject(false);
    });
  });
  const voicemail = new VoicemailService({
    store: new VoicemailStore(db),
    files: new VoicemailFiles(path.join(config.dataDir, 'voicemail')),
    links: linkStore,
    calls: callStore,
    io,
    maxSeconds: config.voicemailMaxSeconds,
    ...(mail ? { onNew: (message) => mail.notices.voiceMessage(message) } : {}),
    logger: logger.child({ component: 'voicemail' }),
  });
  const deviceHandlers = new DeviceHandlers(
    io,
    presence,
    cluster.deviceDirectory,
    deviceStore,
    logger,
  );
  // Ends the records of calls a dead node (or this one, before a restart) left open.
  const unfinishedCalls = new UnfinishedCalls({
    calls: callStore,
    directory: cluster.callDirectory,
    runsHere: (callId) => calls.runs(callId),
    logger,
  });
  const callHandlers = new CallHandlers(calls, linkStore, limits, logger, cluster.routing);
  cluster.routing?.serve({ calls: callHandlers, signaling, orchestrator: calls });
  const groupHandlers = new GroupHandlers(io, calls, linkStore, limits, logger);
  const chatHandlers = new ChatHandlers({
    io,
    chats: new ChatStore(db),
    links: linkStore,
    accounts,
    limits,
    logger,
  });
  const diagnostics = config.diagnosticsRooms
    ? new DiagnosticsRooms(pool, signaling, logger)
    : undefined;
  io.on('connection', (socket) => {
    cluster.routing?.attach(socket);
    signaling.attach(socket);
    deviceHandlers.attach(socket);
    callHandlers.attach(socket);
    groupHandlers.attach(socket);
    chatHandlers.attach(socket);
    diagnostics?.attach(socket);
  });

  const senderStatus = async (accountId: number) => {
    const account = await accounts.findById(accountId);
    if (!account) return 'offline' as const;
    const [connected, busy] = await Promise.all([
      cluster.deviceDirectory.connectedActivities(accountId),
      cluster.callDirectory.busy(accountId),
    ]);
    return senderStatusOf(connected, account.settings, busy);
  };

  const metrics = createMetrics({
    sipTrunks: () => gateway?.trunkStates() ?? [],
    socketConnections: () => io.engine.clientsCount,
    workersAlive: () => pool.aliveCount,
    routers: () => pool.routerCount,
    sipDialogs: () => gateway?.dialogCount ?? 0,
    phoneLegs: () => RtpRelay.openCount,
    mailQueue: () => mail?.queue.waiting ?? 0,
  });
  pool.on('workerDied', () => metrics.workerDeaths.inc());

  await http.register(healthRoutes, {
    version: projectVersion,
    workersAlive: () => pool.aliveCount,
    workersConfigured: pool.size,
  });
  await http.register(metricsRoutes, { registry: metrics.registry, allow: config.metricsAllow });
  await http.register(accountRoutes, {
    accounts,
    sessions,
    links,
    limits,
    confirmations: new AddressConfirmations({
      accounts,
      codes: new EmailConfirmationStore(db),
      publicUrl: config.publicUrl,
      mail: mail && config.mail ? { queue: mail.queue, from: config.mail.from } : undefined,
      logger: logger.child({ component: 'accounts' }),
    }),
    secureCookies: config.publicUrl.startsWith('https:'),
    onSettingsChanged: (accountId) => void deviceHandlers.publish(accountId),
    onLogout: (token) => io.in(sessionChannel(token)).disconnectSockets(true),
  });
  await http.register(linkRoutes, {
    links,
    linkStore,
    accounts,
    sessions,
    calls: callStore,
    senderStatus,
    voicemailMaxSeconds: config.voicemailMaxSeconds,
    onRevoked: (link) => groupHandlers.forget(link),
  });
  await http.register(phoneRoutes, { phones: phoneStore, sessions });
  await http.register(voicemailRoutes, { voicemail, sessions, limits });
  await http.register(mailRoutes, {
    appPasswords,
    accounts,
    sessions,
    relay: mail && {
      host: config.mail?.hostname ?? '',
      port: mail.relay.port,
      startTls: Boolean(config.mail?.relay.tls),
    },
  });
  await http.register(deviceRoutes, {
    links,
    linkStore,
    accounts,
    sessions,
    senderStatus,
  });
  await http.register(clientRoutes, {
    distDir: clientDistDir,
    diagnostics: config.diagnosticsRooms,
  });

  const address = await http.listen({ host: config.host, port: config.port });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // Stop accepting, end calls, tell sockets goodbye, then free media and the store.
      unfinishedCalls.close();
      calls.closeAll();
      diagnostics?.closeAll();
      presence.close();
      deviceHandlers.close();
      cluster.close();
      await gateway?.close();
      await mail?.close();
      await io.close().catch((error: unknown) => logger.warn({ err: error }, 'socket close'));
      await redis?.close().catch((error: unknown) => logger.warn({ err: error }, 'redis close'));
      await http.close();
      await pool.close();
      await db.destroy();
    })());

  return { io, pool, db, url: address, close };
}
