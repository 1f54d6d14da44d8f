// Which push services the server sends to (issue 18). A push subscription
// names its endpoint and the server POSTs every push there, so an endpoint a
// logged-in stranger makes up would have the server POST to any host it can
// reach (internal services, cloud metadata over https). Browsers only give
// endpoints at their vendors' push services: only those are stored (PUT
// /api/devices/:deviceId/push) and sent to (SendablePushSubscriptions, what
// the sender reads). PUSH_SERVICE_HOSTS names them; by default the browsers':
//
// - fcm.googleapis.com: Chrome and the Chromium-based browsers (Opera, Brave,
//   Samsung Internet, Edge on Android): Chromium's
//   components/push_messaging/push_messaging_constants.cc
//   (kPushMessagingGcmEndpoint, kPushMessagingWebpushEndpoint).
// - jmt17.google.com: Chromium builds without Google's branding (Linux
//   distributions' chromium), kPushMessagingStagingGcmEndpoint in that file.
// - *.push.services.mozilla.com: Firefox (updates.push.services.mozilla.com,
//   Mozilla autopush).
// - *.notify.windows.com: Edge on Windows (WNS, wns2-*.notify.windows.com;
//   MicrosoftEdge/DevTools issue 262).
// - *.push.apple.com: Safari on macOS and iOS (web.push.apple.com; Apple's
//   "Sending web push notifications in web apps and browsers").
//
// Cross-checked with web-push-libs/web-push issue 801 ("Add whitelist for
// valid browser push service hosts") and beverloo/peter.sh pull request 54
// (its endpoint allowlist). A browser with another push service (a
// self-hosted autopush, say) needs its host added to PUSH_SERVICE_HOSTS.
import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';
import {
  PushSubscriptionStore,
  type StoredPushSubscription,
} from '../store/push-subscription-store.js';

/** One entry of PUSH_SERVICE_HOSTS. */
export interface PushServiceHost {
  /** A host name or IP address, as URL writes it (lower case, IPv6 in brackets). */
  host: string;
  /** `*.host` (or `.host`): any name under host, not host itself; never an IP address. */
  subdomains: boolean;
  /** The port the entry names; 443 when it names none. */
  port: number;
}

export const DEFAULT_PUSH_SERVICE_HOSTS: readonly string[] = [
  'fcm.googleapis.com',
  'jmt17.google.com',
  '*.push.services.mozilla.com',
  '*.notify.windows.com',
  '*.push.apple.com',
];

/** The browsers' push services: PUSH_SERVICE_HOSTS unless set. */
export const BROWSER_PUSH_SERVICES: readonly PushServiceHost[] = parsePushServiceHosts(
  DEFAULT_PUSH_SERVICE_HOSTS.join(','),
);

/**
 * PUSH_SERVICE_HOSTS: comma-separated `host[:port]`, `*.host[:port]` or
 * `.host[:port]`. Throws an Error naming the first entry that is none of these.
 */
export function parsePushServiceHosts(list: string): PushServiceHost[] {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('must name at least one push service host');
  return entries.map(parseEntry);
}

function parseEntry(entry: string): PushServiceHost {
  const wildcard = /^\*?\./.exec(entry)?.[0] ?? '';
  const rest = entry.slice(wildcard.length);
  const bad = (why: string) =>
    new Error(`has "${entry}", which is not a host name, *.name or .name (with :port) (${why})`);
  if (!/^[A-Za-z0-9.:[\]_-]+$/.test(rest)) throw bad('unexpected characters');
  let url: URL;
  try {
    url = new URL(`https://${rest}`);
  } catch {
    throw bad('not a host');
  }
  const host = url.hostname;
  if (url.pathname !== '/' || host.endsWith('.') || host === '') throw bad('not a host');
  if (wildcard && (ipLiteral(host) || !host.includes('.')))
    throw bad('a wildcard needs a domain with a dot, not an address');
  return { host, subdomains: wildcard !== '', port: url.port ? Number(url.port) : 443 };
}

/** Whether a URL's hostname is an IP address ("[::1]" as URL writes IPv6). */
function ipLiteral(hostname: string): boolean {
  return isIP(hostname.replace(/^\[(.*)\]$/, '$1')) !== 0;
}

/**
 * What is wrong with sending pushes to `endpoint`, or undefined if nothing
 * is: it must be https at one of `allowed`, on the port the entry names (443
 * if none). An IP address matches only an entry naming that address.
 */
export function endpointProblem(
  endpoint: string,
  allowed: readonly PushServiceHost[],
): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'the endpoint is not a URL';
  }
  if (url.protocol !== 'https:') return 'the endpoint is not an https URL';
  if (url.username || url.password) return 'the endpoint carries a user name or password';
  // The host as written: web-push sends with url.parse(), which reads a host
  // differently from new URL() once it holds escapes (`%2E` is a dot to one
  // and ends the host for the other), so a host beyond plain characters is
  // refused rather than read.
  const authority = /^https:\/\/([^/?#]*)/i.exec(endpoint)?.[1] ?? '';
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(authority))
    return 'the endpoint’s host is not a plain host name';
  const { hostname } = url;
  const port = url.port ? Number(url.port) : 443;
  const named = allowed.some(
    (entry) =>
      entry.port === port &&
      (entry.subdomains
        ? !ipLiteral(hostname) && hostname.endsWith(`.${entry.host}`)
        : hostname === entry.host),
  );
  return named ? undefined : `this push service is not one Voxreply sends to: ${url.host}`;
}

/** How many refused endpoints are remembered as logged (past it, no more warnings). */
const MAX_REPORTED = 1000;

/**
 * The subscriptions as the sender reads them: only those at an allowed push
 * service (a subscription stored before PUSH_SERVICE_HOSTS narrowed, or
 * written to the database by other means, is never sent to, and its device
 * does not count as rung by notification).
 */
export class SendablePushSubscriptions extends PushSubscriptionStore {
  readonly #allowed: readonly PushServiceHost[];
  readonly #log: Logger;
  /** Endpoints already logged as refused. */
  readonly #reported = new Set<string>();

  constructor(db: Kysely<Database>, allowed: readonly PushServiceHost[], logger: Logger) {
    super(db);
    this.#allowed = allowed;
    this.#log = logger.child({ component: 'push' });
  }

  override async devicesWithSubscription(accountId: number): Promise<Set<string>> {
    return new Set((await this.list(accountId)).map((subscription) => subscription.deviceId));
  }

  override async list(
    accountId: number,
    deviceIds?: readonly string[],
  ): Promise<StoredPushSubscription[]> {
    return (await super.list(accountId, deviceIds)).filter((subscription) => {
      const problem = endpointProblem(subscription.endpoint, this.#allowed);
      // Said once per endpoint: the list is read at every device-list refresh.
      if (
        problem &&
        this.#reported.size < MAX_REPORTED &&
        !this.#reported.has(subscription.endpoint)
      ) {
        this.#reported.add(subscription.endpoint);
        this.#log.warn(
          { accountId, deviceId: subscription.deviceId, problem },
          'push: not sending to this subscription',
        );
      }
      return !problem;
    });
  }
}
