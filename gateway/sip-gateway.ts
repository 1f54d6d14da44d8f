// The SIP gateway: a SIP stack on the configured port, trunk health, and what
// it answers. Calls to and from phones come next (issue 4); until then every
// request but OPTIONS is answered 501, so a carrier learns at once.
import { EventEmitter } from 'node:events';
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
}

export interface SipGatewayEvents {
  trunkChanged: [trunk: string, up: boolean];
}

export class SipGateway extends EventEmitter<SipGatewayEvents> {
  readonly #stack: SipStack;
  readonly #monitor: TrunkMonitor;
  readonly #logger: GatewayLogger;

  constructor(options: SipGatewayOptions) {
    super();
    this.#logger = options.logger;
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
    switch (request.method) {
      case 'OPTIONS':
        this.#stack.respond(request, 200, 'OK');
        return;
      case 'ACK':
        return;
      default:
        this.#logger.info(
          { method: request.method, from: remote.address },
          'SIP request not handled yet',
        );
        this.#stack.respond(request, 501, 'Not Implemented');
    }
  }
}
