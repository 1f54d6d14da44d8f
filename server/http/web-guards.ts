// What every HTTP answer and every request goes through, whatever its route:
// the headers that keep browsers from sniffing and from leaking token URLs,
// the check that a state-changing request comes from our own pages (CSRF), and
// the per-address limit on looking up link tokens (issue 16, ADR 006).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../protocol/errors.js';
import { REQUEST_HEADER } from '../../protocol/http.js';
import { RequestError } from '../errors.js';
import type { RateLimits } from '../security/rate-limits.js';

export interface WebGuardsOptions {
  /** The origin the pages are served from (PUBLIC_URL's). */
  publicOrigin: string;
  limits: RateLimits;
}

/**
 * Sent with every answer. `no-referrer`: the reply page's URL is a credential
 * (its token); a link or image on it must not carry it to another site.
 */
export function setBaseHeaders(reply: FastifyReply): void {
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
}

/**
 * Whether a browser's Origin is ours: PUBLIC_URL's, or the origin the request
 * was sent to (a server reached by another name than PUBLIC_URL). Scheme, host
 * and port all count: another port of the same host is another origin, and so
 * is http:// for an https:// site (a page injected into plain HTTP on the same
 * host is same-site for browsers without schemeful same-site, so it carries
 * the Lax cookie). `protocol` is the scheme the request came in by (behind
 * TRUST_PROXY, the proxy's X-Forwarded-Proto); without it, PUBLIC_URL's.
 */
export function sameOrigin(
  origin: string,
  host: string | undefined,
  publicOrigin: string,
  protocol: string = new URL(publicOrigin).protocol.replace(/:$/, ''),
): boolean {
  if (origin === publicOrigin) return true;
  if (host === undefined || host === '' || !URL.canParse(origin)) return false;
  const requested = `${protocol}://${host}`;
  // Through URL on both sides: case and default ports (https://x:443) compare alike.
  return URL.canParse(requested) && new URL(origin).origin === new URL(requested).origin;
}

/** Methods a browser may send to another origin without a preflight carry no state change. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Content types a page of another origin may send without a preflight (CORS "simple"). */
const SIMPLE_CONTENT_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

/**
 * SameSite=Lax keeps the cookie off cross-site POSTs only; a page on another
 * port of the same host is same-site and its forms and no-cors fetches carry
 * the cookie. Browsers name the page that sent a POST in Origin: it must be
 * ours. Without Origin (an old or privacy-minded browser, or no browser), the
 * request must be one no foreign page can make without a preflight we never
 * grant: our request header, or a body that is not of a simple content type.
 */
function fromOurPages(request: FastifyRequest, publicOrigin: string): boolean {
  const { origin } = request.headers;
  // request.host and request.protocol: X-Forwarded-Host and -Proto from a TRUST_PROXY proxy.
  if (origin !== undefined) return sameOrigin(origin, request.host, publicOrigin, request.protocol);
  if (request.headers[REQUEST_HEADER] !== undefined) return true;
  const contentType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return contentType !== undefined && contentType !== '' && !SIMPLE_CONTENT_TYPES.has(contentType);
}

/** Routes that look a link token up: a stranger could try tokens by the thousand. */
const LINK_LOOKUPS = new Set(['/api/reply/:token', '/r/:token']);
/** The status badge: mail clients (and their image proxies) load one per message shown. */
const BADGE_LOOKUPS = new Set(['/b/:file']);
/** Badge requests over the per-address limit: their route shows the neutral badge. */
const badgesLimited = new WeakSet<FastifyRequest>();

/** Whether this badge request is over its address's limit (it must not look the token up). */
export function badgeLimited(request: FastifyRequest): boolean {
  return badgesLimited.has(request);
}

export function installWebGuards(app: FastifyInstance, options: WebGuardsOptions): void {
  const { publicOrigin, limits } = options;
  app.addHook('onRequest', async (request) => {
    if (!SAFE_METHODS.has(request.method) && !fromOurPages(request, publicOrigin))
      throw new RequestError(
        ErrorCode.Forbidden,
        "requests that change something must come from this server's own pages",
      );
    const route = request.routeOptions.url;
    if (route === undefined) return;
    // Before the handler's store lookups: a refused lookup costs no query.
    if (LINK_LOOKUPS.has(route)) await limits.take(limits.linkLookupPerIp, request.ip);
    // A badge over the limit is still an image (the neutral one, without a
    // lookup): a 429 shows as a broken image in every mail read through a busy
    // webmail image proxy, and tells a guesser no more than the neutral badge.
    else if (BADGE_LOOKUPS.has(route) && !(await limits.reserve(limits.badgePerIp, request.ip)))
      badgesLimited.add(request);
  });
  // onSend: also on errors, 404s and files streamed by @fastify/static.
  app.addHook('onSend', async (_request, reply) => {
    setBaseHeaders(reply);
  });
}
