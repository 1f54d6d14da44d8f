// The HTTP route table: which routes exist and which of them need a logged-in
// account. Public routes are registered on the server itself; every route that
// acts for an account is registered inside the authenticated scope, which
// refuses a request without a live session before the route runs
// (authenticated-scope.ts). test/http/authenticated-routes.test.ts holds the
// list of public routes: a new route is refused without a session unless it
// is added there too.
import type { FastifyInstance } from 'fastify';
import type { LinkService } from '../links/link-service.js';
import type { SenderStatusLookup } from '../presence/sender-status.js';
import type { AddressConfirmations } from '../security/address-confirmation.js';
import type { PasswordResets } from '../security/password-reset.js';
import type { RateLimits } from '../security/rate-limits.js';
import type { DeletedAccount } from '../store/account-deletion.js';
import type { AccountStore } from '../store/account-store.js';
import type { AppPasswordStore } from '../store/app-password-store.js';
import type { CallStore } from '../store/call-store.js';
import type { Link, LinkStore } from '../store/link-store.js';
import type { PasswordResetStore } from '../store/password-reset-store.js';
import type { PhoneStore } from '../store/phone-store.js';
import type { SessionStore } from '../store/session-store.js';
import type { VoicemailService } from '../voicemail/voicemail-service.js';
import { accountRoutes, myAccountRoutes } from './account-routes.js';
import { accountSecurityRoutes } from './account-security-routes.js';
import { authenticatedScope } from './authenticated-scope.js';
import { clientRoutes, type ClientRoutesOptions } from './client-routes.js';
import { badgeRoutes, deviceRoutes } from './device-routes.js';
import { healthRoutes, type HealthRoutesOptions } from './health-routes.js';
import { linkRoutes, replyPageRoutes } from './link-routes.js';
import { mailRoutes, type MailRoutesOptions } from './mail-routes.js';
import { passwordRoutes } from './password-routes.js';
import { metricsRoutes, type MetricsRoutesOptions } from './metrics-routes.js';
import { phoneRoutes } from './phone-routes.js';
import { pushRoutes, type PushRoutesOptions } from './push-routes.js';
import { senderDeviceRoutes, type SenderDeviceRoutesOptions } from './sender-device-routes.js';
import { voicemailRoutes, voicemailUploadRoutes } from './voicemail-routes.js';

export interface HttpApiParts {
  health: HealthRoutesOptions;
  metrics: MetricsRoutesOptions;
  /** The built browser apps. */
  pages: ClientRoutesOptions;
  sessions: SessionStore;
  accounts: AccountStore;
  links: LinkService;
  linkStore: LinkStore;
  calls: CallStore;
  phones: PhoneStore;
  appPasswords: AppPasswordStore;
  voicemail: VoicemailService;
  limits: RateLimits;
  /** Mails confirmation codes and takes them back. */
  confirmations: AddressConfirmations;
  senderStatus: SenderStatusLookup;
  secureCookies: boolean;
  voicemailMaxSeconds: number;
  /** Where mail programs reach the relay; undefined when it is not running. */
  relay: MailRoutesOptions['relay'];
  /** Told when settings change, so live views (status, devices) refresh. */
  onSettingsChanged: (accountId: number) => void;
  /** Told when a session ends, so its open sockets close. */
  onLogout: (sessionToken: string) => void;
  /** Forgotten passwords: reset links mailed, and used. */
  passwordResets: PasswordResets;
  resetTokens: PasswordResetStore;
  /** Deletes an account's data (account-deletion.ts) and its files. */
  deleteAccount: (accountId: number) => Promise<DeletedAccount | undefined>;
  /** Told when sessions end by their ids (a reset, "log out elsewhere"), so their sockets close. */
  onSessionsEnded: (sessionIds: string[]) => void;
  /** A link was revoked: its open reply pages stop hearing about calls. */
  onRevoked: (link: Link) => void;
  /** Web Push: the VAPID key and devices' subscriptions (changes tell onSettingsChanged). */
  push?: Omit<PushRoutesOptions, 'onChanged'>;
  /** Forgetting a device, declining from a notification (changes tell onSettingsChanged). */
  senderDevices: Omit<SenderDeviceRoutesOptions, 'onChanged'>;
}

export async function registerHttpApi(http: FastifyInstance, parts: HttpApiParts): Promise<void> {
  const { sessions, accounts, links, linkStore, voicemail, limits, senderStatus } = parts;

  // Public: operations, signing up and in, and what a link's holder may see.
  await http.register(healthRoutes, parts.health);
  await http.register(metricsRoutes, parts.metrics);
  await http.register(accountRoutes, {
    accounts,
    sessions,
    links,
    limits,
    confirmations: parts.confirmations,
    secureCookies: parts.secureCookies,
    onLogout: parts.onLogout,
  });
  await http.register(passwordRoutes, {
    resets: parts.passwordResets,
    limits,
    onSessionsEnded: parts.onSessionsEnded,
  });
  await http.register(replyPageRoutes, {
    linkStore,
    accounts,
    sessions,
    senderStatus,
    voicemailMaxSeconds: parts.voicemailMaxSeconds,
  });
  await http.register(voicemailUploadRoutes, { voicemail, limits });
  await http.register(badgeRoutes, { linkStore, accounts, senderStatus });

  // Everything that acts for an account.
  await http.register(authenticatedScope, {
    sessions,
    routes: async (scope) => {
      await scope.register(myAccountRoutes, {
        accounts,
        confirmations: parts.confirmations,
        onSettingsChanged: parts.onSettingsChanged,
      });
      await scope.register(accountSecurityRoutes, {
        accounts,
        sessions,
        resetTokens: parts.resetTokens,
        limits,
        deleteAccount: parts.deleteAccount,
        onSessionsEnded: parts.onSessionsEnded,
      });
      await scope.register(linkRoutes, {
        links,
        linkStore,
        calls: parts.calls,
        onRevoked: parts.onRevoked,
      });
      await scope.register(deviceRoutes, { links, accounts });
      await scope.register(phoneRoutes, { phones: parts.phones });
      await scope.register(senderDeviceRoutes, {
        ...parts.senderDevices,
        onChanged: parts.onSettingsChanged,
      });
      if (parts.push)
        await scope.register(pushRoutes, { ...parts.push, onChanged: parts.onSettingsChanged });
      await scope.register(voicemailRoutes, { voicemail });
      await scope.register(mailRoutes, {
        appPasswords: parts.appPasswords,
        accounts,
        relay: parts.relay,
      });
    },
  });

  await http.register(clientRoutes, parts.pages);
}
