// The SIP gateway: a SIP stack on the configured port, trunk health, calls
// forwarded to phones (outbound), calls to our numbers (inbound, from trunk
// sources only), and what it answers to everything else.
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { GatewayLogger } from './gateway-logger.js';
import { createNpmSipStack, parseUri, type NpmSipStackOptions } from './npm-sip-stack.js';
import type { Remote, SipDialog, SipRequest, SipStack, SipTransport } from './sip-stack.js';
import { InboundCall } from './inbound-call.js';
import { InboundAuthenticator } from './inbound-auth.js';
import { InboundDialog } from './inbound-dialog.js';
import { normalizeNumber, type InboundNumber } from './numbers.js';
import { requestDefect } from './request-checks.js';
import { SourceLimit } from './source-limit.js';
import { PhoneForwarding, type ForwardRequest } from './phone-forwarding.js';
import { Announcements } from './announcement.js';
import type { LegAddresses } from '../media/plain-rtp-leg.js';
import { TrunkMonitor } from './trunk-monitor.js';
import type { Trunk } from './trunks.js';

/** Long enough for BYEs to go out (and a retransmission over UDP) at shutdown. */
const GOODBYE_MS = 600;

/**
 * New requests a second taken from one trunk address. Carriers burst (200
 * calls a second is 600 requests), but UDP sources are easily spoofed: even a
 * trunk's address must not make the stack keep transactions without bound.
 */
const TRUNK_REQUESTS_PER_SECOND = 1000;

/**
 * TCP/TLS connections one address may hold: a carrier opens a few; a
 * stranger needs one (a PBX), and each is a file descriptor and a buffer.
 */
const TRUNK_CONNECTIONS = 64;
const STRANGER_CONNECTIONS = 4;

export interface SipGatewayOptions {
  listenIp: string;
  port: number;
  publicAddress: string | undefined;
  trunks: Trunk[];
  logger: GatewayLogger;
  /** SIP over TLS (our certificate, port, extra CAs), for tls trunks. */
  tls?: NpmSipStackOptions['tls'];
  /** New requests per second taken from one source that is not a trunk. */
  strangerRequestsPerSecond?: number;
  /** New requests per second taken from all such sources together. */
  strangerRequestsPerSecondTotal?: number;
  /** Our numbers (DIDs) and whose devices they ring. */
  numbers?: InboundNumber[];
  /** Where phone legs' RTP listens (the media settings). */
  media: LegAddresses;
  /** How long one number may ring before the next is tried. */
  ringTimeoutMs?: number;
}

export interface SipGatewayEvents {
  trunkChanged: [trunk: string, up: boolean];
  /** A phone calls one of our numbers; `email` is the sender it rings. */
  incomingCall: [call: InboundCall, email: string];
}

export class SipGateway extends EventEmitter<SipGatewayEvents> {
  readonly #stack: SipStack;
  readonly #monitor: TrunkMonitor;
  readonly #logger: GatewayLogger;
  /** Addresses in the trunks' allow-lists: INVITEs from them are calls. */
  readonly #trunkSources: ReadonlySet<string>;
  /** The allow-lists and the trunks' own servers: limited per address only. */
  readonly #trustedSources: ReadonlySet<string>;
  readonly #trustedLimit = new SourceLimit({ perSource: TRUNK_REQUESTS_PER_SECOND });
  readonly #strangerLimit: SourceLimit;
  readonly #trunks: Trunk[];
  readonly #media: LegAddresses;
  readonly #ringTimeoutMs: number;
  /** Live dialogs by Call-ID, for the far end's in-dialog requests and CANCELs. */
  readonly #dialogs = new Map<string, SipDialog>();
  /** What forwarded phones that must press 1 hear, rendered once per text and codec. */
  readonly #announcements: Announcements;
  readonly #numbers: ReadonlyMap<string, string>;
  readonly #auth: InboundAuthenticator;

  constructor(options: SipGatewayOptions) {
    super();
    this.#logger = options.logger;
    this.#announcements = new Announcements({ logger: options.logger });
    this.#trunks = options.trunks;
    this.#media = options.media;
    this.#ringTimeoutMs = options.ringTimeoutMs ?? 30_000;
    this.#auth = new InboundAuthenticator(options.trunks);
    this.#numbers = new Map((options.numbers ?? []).map((n) => [n.number, n.email]));
    this.#trunkSources = new Set(options.trunks.flatMap((trunk) => trunk.allowFrom));
    this.#trustedSources = new Set([
      ...this.#trunkSources,
      ...options.trunks.map((trunk) => trunk.host).filter((host) => isIP(host) !== 0),
    ]);
    this.#strangerLimit = new SourceLimit({
      perSource: options.strangerRequestsPerSecond ?? 20,
      total: options.strangerRequestsPerSecondTotal ?? 100,
    });
    this.#stack = createNpmSipStack(
      {
        listenIp: options.listenIp,
        port: options.port,
        publicAddress: options.publicAddress,
        tls: options.tls,
        onError: (error) => options.logger.warn({ err: error }, 'SIP stack error'),
        admit: (request, remote) => this.#admit(request, remote),
        admitConnection: (address, open) =>
          open < (this.#trustedSources.has(address) ? TRUNK_CONNECTIONS : STRANGER_CONNECTIONS),
        onTrace: options.logger.isLevelEnabled('trace')
          ? (direction, message) => options.logger.trace({ direction, message }, 'SIP message')
          : undefined,
      },
      (request, remote) => this.#onRequest(request, remote),
    );
    this.#monitor = new TrunkMonitor(this.#stack, options.trunks);
    this.#monitor.on('changed', (trunk, up) => {
      this.#logger.info({ trunk, up }, up ? 'SIP trunk up' : 'SIP trunk down');
      this.emit('trunkChanged', trunk, up);
    });
    this.#monitor.start();
  }

  trunkStates(): { trunk: string; up: boolean }[] {
    return this.#monitor.states();
  }

  /** True when some trunk can take a call now. */
  canCall(): boolean {
    return this.#trunksUp().length > 0;
  }

  /** Forwards a call to phone numbers (ring plan stage 3); call start() on the result. */
  forward(request: ForwardRequest): PhoneForwarding {
    return new PhoneForwarding(
      {
        stack: this.#stack,
        trunksUp: () => this.#trunksUp(),
        media: this.#media,
        ringTimeoutMs: this.#ringTimeoutMs,
        logger: this.#logger,
        dialogs: this.#dialogs,
        // Judges the trunks that are never pinged (trunk-monitor.ts).
        trunkResult: (trunk, reachable) => this.#monitor.trunkResult(trunk, reachable),
        announcements: this.#announcements,
      },
      request,
    );
  }

  /** Live dialogs (for tests and metrics). */
  get dialogCount(): number {
    return this.#dialogs.size;
  }

  /**
   * An INVITE from an address no trunk lists: the trunk whose inbound
   * credentials signed it; else 407 with a challenge (first try) or 403.
   */
  #authenticated(request: SipRequest, remote: Remote): Trunk | undefined {
    if (this.#auth.enabled) {
      const trunk = this.#auth.authenticate(request);
      if (trunk) return trunk;
      // Unsigned, or signed for a challenge we no longer hold: (re)challenge.
      if (!InboundAuthenticator.signed(request) || !this.#auth.challenged(request)) {
        this.#stack.respond(request, 407, 'Proxy Authentication Required', {
          headers: this.#auth.challenge(request),
        });
        return undefined;
      }
    }
    // Debug, not warn: strangers send these by the hundred a second (scanners).
    this.#logger.debug({ from: remote.address }, 'INVITE from a source no trunk allows');
    this.#stack.respond(request, 403, 'Forbidden');
    return undefined;
  }

  /** An INVITE from a trunk: 404 for a number we do not have, else ring its sender. */
  #incoming(request: SipRequest, trunk: Trunk, remote: Remote): void {
    const number = normalizeNumber(parseUri(request.uri)?.user);
    const email = number ? this.#numbers.get(number) : undefined;
    if (!number || !email) {
      this.#stack.respond(request, 404, 'Not Found');
      return;
    }
    if (!request.content || this.listenerCount('incomingCall') === 0) {
      // No offer (late SDP is not supported), or nobody to ring.
      this.#stack.respond(
        request,
        request.content ? 480 : 488,
        request.content ? 'Temporarily Unavailable' : 'Not Acceptable Here',
      );
      return;
    }
    const dialog = new InboundDialog(this.#stack, request, transportOf(remote));
    this.#dialogs.set(dialog.callId, dialog);
    dialog.once('ended', () => this.#dialogs.delete(dialog.callId));
    const from = parseUri(request.headers.from?.uri ?? '')?.user ?? 'unknown';
    const call = new InboundCall({
      number,
      from: normalizeNumber(from) ?? from,
      dialog,
      offer: request.content,
      trunk,
      media: this.#media,
      peerAddress: remote.address,
    });
    this.#logger.info({ number, trunk: trunk.name }, 'incoming phone call');
    this.emit('incomingCall', call, email);
  }

  #trunksUp(): Trunk[] {
    return this.#trunks.filter((trunk) => this.#monitor.isUp(trunk.name));
  }

  /**
   * Hangs up every live dialog, gives the BYEs and CANCELs a moment to leave
   * (the stack sends on the next tick, and closing first would lose them and
   * leave calls up at the carrier), then closes the stack.
   */
  async close(): Promise<void> {
    for (const call of this.#dialogs.values()) call.hangup();
    this.#monitor.close();
    await new Promise((resolve) => setTimeout(resolve, GOODBYE_MS));
    this.#stack.close();
  }

  /**
   * Whether the stack may keep a new request at all, asked before it makes a
   * transaction: a refused request is dropped unanswered (an answer would feed
   * a flood) and leaves nothing behind. Requests inside our live dialogs (our
   * random To tag, which only the far end knows) always come in: a flood
   * must not cut a call. Others count against their source: trunk addresses
   * per address, strangers per address and all together.
   */
  #admit(request: SipRequest, remote: Remote): boolean {
    if (requestDefect(request)?.kind === 'unanswerable') return false;
    const dialog = this.#dialogs.get(request.headers['call-id'] ?? '');
    if (dialog && request.headers.to?.params.tag === dialog.localTag) return true;
    return this.#trustedSources.has(remote.address)
      ? this.#trustedLimit.admit(remote.address)
      : this.#strangerLimit.admit(remote.address);
  }

  /** A request the stack admitted: checked, then routed. */
  #onRequest(request: SipRequest, remote: Remote): void {
    const defect = requestDefect(request);
    if (!defect) return this.#route(request, remote, this.#trunkSources.has(remote.address));
    // (Unanswerable ones never get here: #admit dropped them.) An ACK is never answered.
    if (defect.kind === 'refuse' && request.method !== 'ACK')
      this.#stack.respond(request, defect.status, defect.reason);
  }

  #route(request: SipRequest, remote: Remote, fromTrunk: boolean): void {
    const dialog = this.#dialogs.get(request.headers['call-id'] ?? '');
    const inDialog = request.headers.to?.params.tag !== undefined;
    if (dialog && (inDialog || request.method === 'CANCEL')) {
      dialog.onRequest(request);
      return;
    }
    if (inDialog && request.method !== 'ACK') {
      // A dialog we do not have (ended, or never ours): not a new call (RFC 3261 12.2.2).
      this.#stack.respond(request, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    switch (request.method) {
      case 'OPTIONS':
        this.#stack.respond(request, 200, 'OK');
        return;
      case 'ACK':
        return;
      case 'INVITE': {
        const trunk = fromTrunk
          ? this.#trunks.find((t) => t.allowFrom.includes(remote.address))
          : this.#authenticated(request, remote);
        if (trunk) this.#incoming(request, trunk, remote);
        return;
      }
      case 'BYE':
      case 'CANCEL':
        // Not a live dialog of ours.
        this.#stack.respond(request, 481, 'Call/Transaction Does Not Exist');
        return;
      default:
        this.#stack.respond(request, 501, 'Not Implemented');
    }
  }
}

/** The transport a request came over (the stack says UDP, TCP or TLS). */
function transportOf(remote: Remote): SipTransport {
  const protocol = remote.protocol.toLowerCase();
  return protocol === 'tls' ? 'tls' : protocol === 'tcp' ? 'tcp' : 'udp';
}
