// Digest authentication of inbound INVITEs (RFC 3261 section 22, with the
// `sip` package's digest module) for carriers or PBXs that cannot be put on
// an address allow-list: 407 with a challenge, then the INVITE again with
// credentials of one of the trunks that have `inbound` credentials.
import { authenticateRequest, challenge, type DigestSession } from 'sip/digest.js';
import type { SipRequest } from './sip-stack.js';
import type { Trunk } from './trunks.js';

const REALM = 'voxreply';
/** A challenge is answered within seconds; forget older ones. */
const CHALLENGE_TTL_MS = 30_000;
/** Bounds memory under a flood of unanswered challenges. */
const MAX_CHALLENGES = 10_000;

export class InboundAuthenticator {
  readonly #trunks: Trunk[];
  /** Open challenges by Call-ID. */
  readonly #challenges = new Map<string, { session: DigestSession; at: number }>();

  constructor(trunks: Trunk[]) {
    this.#trunks = trunks.filter((trunk) => trunk.inbound);
  }

  get enabled(): boolean {
    return this.#trunks.length > 0;
  }

  /** The trunk whose inbound credentials signed this INVITE, if any. */
  authenticate(request: SipRequest): Trunk | undefined {
    const callId = request.headers['call-id'] ?? '';
    const open = this.#challenges.get(callId);
    if (!open || !this.challenged(request)) return undefined;
    const user = signedUser(request);
    const trunk = this.#trunks.find((t) => t.inbound?.username === user);
    if (!trunk?.inbound) return undefined;
    const valid = authenticateRequest(open.session, request, {
      user: trunk.inbound.username,
      password: trunk.inbound.password,
    });
    if (valid) this.#challenges.delete(callId);
    return valid ? trunk : undefined;
  }

  /** Whether we hold an unexpired challenge for this INVITE's Call-ID. */
  challenged(request: SipRequest): boolean {
    const open = this.#challenges.get(request.headers['call-id'] ?? '');
    return open !== undefined && Date.now() - open.at <= CHALLENGE_TTL_MS;
  }

  /** The Proxy-Authenticate header for a 407 to this INVITE (remembered by Call-ID). */
  challenge(request: SipRequest): Record<string, unknown> {
    this.#forgetOld();
    const session: DigestSession = { realm: REALM, qop: 'auth' };
    const response = { status: 407, reason: '', headers: {} as Record<string, unknown> };
    challenge(session, response);
    this.#challenges.set(request.headers['call-id'] ?? '', { session, at: Date.now() });
    return response.headers;
  }

  /** Whether the request carries credentials at all (a second try). */
  static signed(request: SipRequest): boolean {
    return signedUser(request) !== undefined;
  }

  #forgetOld(): void {
    const now = Date.now();
    for (const [callId, open] of this.#challenges) {
      if (now - open.at > CHALLENGE_TTL_MS || this.#challenges.size >= MAX_CHALLENGES)
        this.#challenges.delete(callId);
      else break; // insertion order: the rest are newer
    }
  }
}

/** The username in a Proxy-Authorization header (quotes removed). */
function signedUser(request: SipRequest): string | undefined {
  const headers = request.headers['proxy-authorization'];
  const first = Array.isArray(headers) ? (headers[0] as { username?: unknown }) : undefined;
  return typeof first?.username === 'string' ? first.username.replace(/^"|"$/g, '') : undefined;
}
