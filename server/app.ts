// The composition root: builds every part from validated config and wires them.
// Nothing else constructs long-lived parts.
//
// Just over the ~400-line rule (about 410 lines): one list of parts in the
// order they depend on each other, which reads best in one place; the parts
// built from configuration alone are in config-parts.ts, and the reply pages'
// and mail's wiring are the next to move out into their own builders.
import path from 'node:path';
import type { Kysely } from 'kysely';
import { RtpRelay } from '../media/rtp-relay.js';
import type { WorkerPool } from '../media/worker-pool.js';
import { CallOrchestrator } from './calls/call-orchestrator.js';
import { UnfinishedCalls } from './calls/unfinished-calls.js';
import type { Config } from './config.js';
import { sipGateway, startWorkerPool } from './config-parts.js';
import { registerHttpApi } from './http/http-api.js';
import { createHttpServer } from './http/http-server.js';
import { LinkService } from './links/link-service.js';
import type { Logger } from './logger.js';
import { ChatEmails } from './mail/chat-emails.js';
import { envelopeAddress } from './mail/compose.js';
import { FreeNowEmails } from './mail/free-now-email.js';
import { startMail, type Mail } from './mail/mail.js';
import { createMetrics } from './metrics.js';
import { Presence } from './presence/presence.js';
import { reportingBusyChanges } from './presence/busy-changes.js';
import { liveReplyPages } from './realtime/live-reply-pages.js';
import { joinCluster, singleNode } from './cluster/cluster.js';
import { clientDistDir, projectVersion } from './project-paths.js';
import { SendablePushSubscriptions } from './push/push-endpoints.js';
import { PushSender } from './push/push-sender.js';
import { loadVapidKeys } from './push/vapid-keys.js';
import { CallHandlers } from './realtime/call-handlers.js';
import { ChatHandlers, chatPageOpen } from './realtime/chat-handlers.js';
import { GroupHandlers } from './realtime/group-handlers.js';
import { useRedisAdapter } from './realtime/redis-adapter.js';
import { DeviceHandlers } from './realtime/device-handlers.js';
import { DiagnosticsRooms } from './realtime/diagnostics-rooms.js';
import { MediaSignaling } from './realtime/media-signaling.js';
import { RoomMembership } from './calls/room-membership.js';
import {
  authenticateSockets,
  endSessionSockets,
  endSessionSocketsById,
} from './realtime/socket-auth.js';
import { createSocketServer } from './realtime/socket-server.js';
import type { VoxServer } from './realtime/typed-server.js';
import { AddressConfirmations } from './security/address-confirmation.js';
import { PasswordResets } from './security/password-reset.js';
import { RateLimits } from './security/rate-limits.js';
import { SealedBox } from './security/sealed-box.js';
import { loadServerKey } from './security/server-key.js';
import { deleteAccount } from './store/account-deletion.js';
import { AccountStore } from './store/account-store.js';
import { EmailConfirmationStore } from './store/email-confirmation-store.js';
import { AppPasswordStore } from './store/app-password-store.js';
import { CallStore } from './store/call-store.js';
import { ChatEmailStore } from './store/chat-email-store.js';
import { ChatStore } from './store/chat-store.js';
import { migrateToLatest, openDatabase, storeLocation } from './store/database.js';
import { DeviceStore } from './store/device-store.js';
import { LinkStore } from './store/link-store.js';
import { PasswordResetStore } from './store/password-reset-store.js';
import { PhoneStore } from './store/phone-store.js';
import { CallbackRequestStore } from './store/callback-request-store.js';
import { RelayedMessageStore } from './store/relayed-message-store.js';
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
  const resetTokens = new PasswordResetStore(db);
  const deviceStore = new DeviceStore(db);
  const linkStore = new LinkStore(db);
  const callStore = new CallStore(db);
  const phoneStore = new PhoneStore(db);
  const appPasswords = new AppPasswordStore(db);
  const box = new SealedBox(loadServerKey(config.dataDir, config.secretKey));
  const links = new LinkService(linkStore, box, config.publicUrl);
  const limits = new RateLimits(config.rateLimitMultiplier);
  // Web Push: rings closed desk apps (VAPID keys from config, else one pair kept in the
  // database for every node); pushes go only to PUSH_SERVICE_HOSTS.
  const pushSubscriptions = new SendablePushSubscriptions(db, config.pushServiceHosts, logger);
  const vapidKeys = await loadVapidKeys({
    db,
    box,
    dataDir: config.dataDir,
    configured: config.vapidKeys,
    logger,
  });
  const push = new PushSender({
    subscriptions: pushSubscriptions,
    vapid: { ...vapidKeys, subject: config.vapidSubject },
    logger,
  });

  const pool = await startWorkerPool(config, logger);

  // Routes come last (registerHttpApi), once every part they serve exists.
  const { http, guard, publicOrigin } = await createHttpServer(config, limits, logger);
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
  authenticateSockets(io, {
    sessions,
    publicOrigin,
    parseCookie: (header) => http.parseCookie(header),
  });

  const gateway = config.sipTrunks.length > 0 ? sipGateway(config, logger) : undefined;

  const mail: Mail | undefined = config.mail
    ? await startMail(config.mail, {
        dataDir: config.dataDir,
        publicUrl: config.publicUrl,
        accounts,
        appPasswords,
        links,
        relayed: new RelayedMessageStore(db),
        box,
        limits,
        logger: logger.child({ component: 'mail' }),
      })
    : undefined;

  // Reply pages stay live: the sender's status pushed, call-backs (issue 19, part 2).
  const freeNow =
    mail && config.mail
      ? new FreeNowEmails({
          requests: new CallbackRequestStore(db),
          links: linkStore,
          relayed: new RelayedMessageStore(db),
          box,
          queue: mail.queue,
          fromAddress: envelopeAddress(config.mail.from),
          replyUrl: (token) => links.urlFor(token),
          logger,
        })
      : undefined;
  const live = liveReplyPages({
    ...{ io, db, presence, accounts, links: linkStore, box, limits, logger },
    devices: cluster.deviceDirectory,
    calls: cluster.callDirectory,
    rateLimitMultiplier: config.rateLimitMultiplier,
    ...(freeNow ? { emailFreeNow: (request, name) => freeNow.send(request, name) } : {}),
  });

  const members = new RoomMembership(io, config.ice);
  const signaling = new MediaSignaling(members, logger);
  const orchestrator = new CallOrchestrator({
    io,
    members,
    pool,
    presence,
    deviceDirectory: cluster.deviceDirectory,
    callDirectory: reportingBusyChanges(cluster.callDirectory, (id) => live.feed.changed(id)),
    nodeId: cluster.nodeId,
    resumable: cluster.routing !== undefined,
    accounts,
    devices: deviceStore,
    linkStore,
    callStore,
    numbers: phoneStore,
    gateway,
    push,
    ...(mail ? { onMissed: (missed) => mail.notices.missedCall(missed) } : {}),
    logger,
  });
  gateway?.on('incomingCall', (call, email) => {
    orchestrator.startFromPhone(call, email).catch((error: unknown) => {
      logger.error({ err: error, number: call.number }, 'could not take a phone call');
      call.reject(false);
    });
  });
  const voicemailFiles = new VoicemailFiles(path.join(config.dataDir, 'voicemail'));
  const voicemail = new VoicemailService({
    store: new VoicemailStore(db),
    files: voicemailFiles,
    links: linkStore,
    calls: callStore,
    io,
    maxSeconds: config.voicemailMaxSeconds,
    ...(mail
      ? {
          onNew: (message, recordingPath) =>
            mail.notices.voiceMessage({ ...message, recordingPath }),
        }
      : {}),
    logger: logger.child({ component: 'voicemail' }),
  });
  const deviceHandlers = new DeviceHandlers(
    io,
    presence,
    cluster.deviceDirectory,
    { store: deviceStore, subscribed: (accountId) => push.subscribedDevices(accountId) },
    logger,
  );
  // Ends the records of calls a dead node (or this one, before a restart) left open.
  const unfinishedCalls = new UnfinishedCalls({
    calls: callStore,
    directory: cluster.callDirectory,
    runsHere: (callId) => orchestrator.runs(callId),
    logger,
  });
  const callHandlers = new CallHandlers(orchestrator, linkStore, limits, logger, live.callbacks);
  // With several nodes: each request runs on the node of its call; other nodes' requests here.
  const routing = cluster.routing?.around({
    calls: callHandlers,
    signaling,
    members,
    orchestrator,
  });
  const groupHandlers = new GroupHandlers(io, orchestrator, linkStore, limits, logger);
  const chats = new ChatStore(db);
  // Chat messages left unread while their addressee has nothing open are emailed (with mail).
  const chatEmails =
    mail && config.mail
      ? new ChatEmails({
          bursts: new ChatEmailStore(db),
          chats,
          links: linkStore,
          relayed: new RelayedMessageStore(db),
          accounts,
          box,
          queue: mail.queue,
          from: config.mail.from,
          publicUrl: config.publicUrl,
          replyUrl: (token) => links.urlFor(token),
          afterMs: config.mail.chatEmailAfterMs,
          deskOpen: async (accountId) =>
            (await cluster.deviceDirectory.connectedActivities(accountId)).length > 0,
          pageOpen: (link) => chatPageOpen(io, link),
          logger,
        })
      : undefined;
  chatEmails?.start();
  const chatHandlers = new ChatHandlers({
    io,
    chats,
    links: linkStore,
    accounts,
    limits,
    ...(chatEmails ? { followUps: chatEmails } : {}),
    logger,
  });
  const diagnostics = config.diagnosticsRooms
    ? new DiagnosticsRooms(pool, members, logger)
    : undefined;
  io.on('connection', (socket) => {
    const routes = routing?.attach(socket);
    signaling.attach(socket, routes?.media);
    deviceHandlers.attach(socket);
    callHandlers.attach(socket, routes?.calls);
    groupHandlers.attach(socket);
    chatHandlers.attach(socket);
    live.attach(socket);
    diagnostics?.attach(socket);
  });

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
  metrics.registry.registerMetric(push.sent);

  await registerHttpApi(http, {
    health: {
      version: projectVersion,
      workersAlive: () => pool.aliveCount,
      workersConfigured: pool.size,
    },
    metrics: { registry: metrics.registry, allow: config.metricsAllow },
    pages: { distDir: clientDistDir, diagnostics: config.diagnosticsRooms },
    sessions,
    accounts,
    links,
    linkStore,
    calls: callStore,
    phones: phoneStore,
    appPasswords,
    voicemail,
    limits,
    confirmations: new AddressConfirmations({
      accounts,
      codes: new EmailConfirmationStore(db),
      publicUrl: config.publicUrl,
      mail: mail && config.mail ? { queue: mail.queue, from: config.mail.from } : undefined,
      logger: logger.child({ component: 'accounts' }),
    }),
    senderStatus: live.senderStatus,
    secureCookies: config.publicUrl.startsWith('https:'),
    voicemailMaxSeconds: config.voicemailMaxSeconds,
    relay: mail && {
      host: config.mail?.hostname ?? '',
      port: mail.relay.port,
      startTls: Boolean(config.mail?.relay.tls),
    },
    onSettingsChanged: (accountId) => {
      void deviceHandlers.publish(accountId);
      live.feed.changed(accountId);
    },
    onLogout: (token) => endSessionSockets(io, token),
    onSessionsEnded: (ids) => endSessionSocketsById(io, ids),
    passwordResets: new PasswordResets({
      accounts,
      sessions,
      appPasswords,
      tokens: resetTokens,
      publicUrl: config.publicUrl,
      mail: mail && config.mail ? { queue: mail.queue, from: config.mail.from } : undefined,
      logger: logger.child({ component: 'accounts' }),
    }),
    resetTokens,
    deleteAccount: async (accountId) => {
      const links = await linkStore.list(accountId);
      const deleted = await deleteAccount(db, accountId);
      if (!deleted) return undefined;
      // Its links' open pages and group watches, on every node, as for a revoked link.
      for (const link of links) {
        groupHandlers.forget(link);
        live.forget(link);
      }
      // After the commit: the rows are gone, so a failed removal leaves only an
      // orphan file (logged), never a failed deletion.
      const removals = await Promise.allSettled(
        deleted.voicemailIds.map((id) => voicemailFiles.remove(id)),
      );
      for (const removal of removals)
        if (removal.status === 'rejected')
          logger.error({ err: removal.reason, accountId }, 'voice message file not removed');
      return deleted;
    },
    onRevoked: (link) => {
      groupHandlers.forget(link);
      live.forget(link);
    },
    push: {
      publicKey: push.publicKey,
      devices: deviceStore,
      subscriptions: pushSubscriptions,
      pushServiceHosts: config.pushServiceHosts,
    },
    senderDevices: {
      devices: deviceStore,
      directory: cluster.deviceDirectory,
      declineRing: async (accountId, deviceId, callId) =>
        routing
          ? routing.declineRing(accountId, deviceId, callId)
          : orchestrator.declineRing(accountId, deviceId, callId),
    },
  });

  const address = await http.listen({ host: config.host, port: config.port });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // Stop accepting, end calls, tell sockets goodbye, then free media and the store.
      unfinishedCalls.close();
      orchestrator.closeAll();
      diagnostics?.closeAll();
      presence.close();
      live.close();
      deviceHandlers.close();
      cluster.close();
      await gateway?.close();
      await chatEmails?.close();
      await mail?.close();
      await io.close().catch((error: unknown) => logger.warn({ err: error }, 'socket close'));
      await redis?.close().catch((error: unknown) => logger.warn({ err: error }, 'redis close'));
      await http.close();
      await pool.close();
      push.close();
      await db.destroy();
    })());

  return { io, pool, db, url: address, close };
}
