// The mail parts wired together from config: the spool, delivery to the
// smarthost, the submission relay, missed-call notices.
import path from 'node:path';
import type { MailConfig } from '../config.js';
import type { LinkService } from '../links/link-service.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { SealedBox } from '../security/sealed-box.js';
import type { AccountStore } from '../store/account-store.js';
import type { AppPasswordStore } from '../store/app-password-store.js';
import type { RelayedMessageStore } from '../store/relayed-message-store.js';
import { DeliveryQueue, type SpooledMessage } from './delivery-queue.js';
import { MailSpool } from './mail-spool.js';
import { SenderNotices } from './sender-notices.js';
import { RelayServer } from './relay-server.js';
import { Smarthost } from './smarthost.js';

export interface MailDeps {
  dataDir: string;
  publicUrl: string;
  accounts: AccountStore;
  appPasswords: AppPasswordStore;
  links: LinkService;
  /** Relayed messages' Message-IDs and their links' sealed tokens (offline emails). */
  relayed: RelayedMessageStore;
  box: SealedBox;
  limits: RateLimits;
  logger: Logger;
}

export interface Mail {
  relay: RelayServer;
  queue: DeliveryQueue;
  notices: SenderNotices;
  close(): Promise<void>;
}

export async function startMail(config: MailConfig, deps: MailDeps): Promise<Mail> {
  const spool = await MailSpool.open<SpooledMessage>(path.join(deps.dataDir, 'mail-spool'));
  const smarthost = new Smarthost(config.smarthost, deps.logger);
  const queue = new DeliveryQueue({
    spool,
    smarthost,
    links: deps.links,
    accounts: deps.accounts,
    relayed: deps.relayed,
    box: deps.box,
    retryDelaysMs: config.retryDelaysMs,
    giveUpAfterMs: config.giveUpAfterMs,
    hostname: config.hostname,
    logger: deps.logger,
  });
  // What a previous run accepted and did not finish goes out first.
  queue.wake();
  const relay = await RelayServer.start({
    host: config.relay.host,
    port: config.relay.port,
    hostname: config.hostname,
    tls: config.relay.tls,
    maxMessageBytes: config.relay.maxMessageBytes,
    maxRecipients: 100,
    accounts: deps.accounts,
    appPasswords: deps.appPasswords,
    limits: deps.limits,
    spool,
    queue,
    logger: deps.logger,
  });
  const notices = new SenderNotices({
    queue,
    accounts: deps.accounts,
    relayed: deps.relayed,
    from: config.from,
    publicUrl: deps.publicUrl,
    logger: deps.logger,
  });
  return {
    relay,
    queue,
    notices,
    async close() {
      await relay.close();
      await queue.close();
      smarthost.close();
    },
  };
}
