// The SIP gateway: a SIP stack on the configured port, trunk health, and what
// it answers. Calls to and from phones come next (issue 4): until then an
// INVITE from a trunk is answered 501, so the carrier learns at once.
import { EventEmitter } from 'node:events';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { GatewayLogger } from './gateway-logger.js';
import { createNpmSipStack } from './npm-sip-stack.js';
import type { Remote, SipRequest, SipStack } from './sip-stack.js';
import { TrunkMonitor } from './trunk-monitor.js';
import type { Trunk } from './trunks.js';

export interface SipGatewayOptions {
  listenIp: string;
  port: number;
  publicAddress: string | undefined;
  trunks: Trunk[];
  logger: GatewayLogger;
  /** Requests per second accepted from a source that is not a trunk. */
  strangerRequestsPerSecond?: number;
}

export interface SipGatewayEvents {
  trunkChanged: [trunk: string, up: boolean];
}

export class SipGateway extends EventEmitter<SipGatewayEvents> {
  readonly #stack: SipStack;
  readonly #monitor: TrunkMonitor;
  readonly #logger: GatewayLogger;
  /** Addresses of the trunks' own servers and allow-lists: trusted senders. */
  readonly #trunkSources: ReadonlySet<string>;
  readonly #strangerLimit: RateLimiterMemory;

  constructor(options: SipGatewayOptions) {
    super();
    this.#logger = options.logger;
    this.#trunkSources = new Set(options.trunks.flatMap((trunk) => trunk.allowFrom));
    this.#strangerLimit = new RateLimiterMemory({
      points: options.strangerRequestsPerSecond ?? 20,
      duration: 1,
    });
    this.#stack = createNpmSipStack(
      {
        listenIp: options.listenIp,
        port: options.port,
        publicAddress: options.publicAddress,
        onError: (error) => options.logger.warn({ err: error }, 'SIP stack error'),
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

  close(): void {
    this.#monitor.close();
    this.#stack.close();
  }

  #onRequest(request: SipRequest, remote: Remote): void {
    if (this.#trunkSources.has(remote.address)) {
      this.#route(request, remote, true);
      return;
    }
    // Strangers are flood-limited: past the limit their requests are dropped
    // unanswered (an answer would feed the flood).
    this.#strangerLimit.consume(remote.address).then(
      () => this.#route(request, remote, false),
      () => undefined,
    );
  }

  #route(request: SipRequest, remote: Remote, fromTrunk: boolean): void {
    switch (request.method) {
      case 'OPTIONS':
        this.#stack.respond(request, 200, 'OK');
        return;
      case 'ACK':
        return;
      case 'INVITE':
        if (!fromTrunk) {
          this.#logger.warn({ from: remote.address }, 'INVITE from a source no trunk allows');
          this.#stack.respond(request, 403, 'Forbidden');
          return;
        }
        this.#stack.respond(request, 501, 'Not Implemented');
        return;
      case 'BYE':
      case 'CANCEL':
        // No dialogs exist yet, so none can match.
        this.#stack.respond(request, 481, 'Call/Transaction Does Not Exist');
        return;
      default:
        this.#stack.respond(request, 501, 'Not Implemented');
    }
  }
}
