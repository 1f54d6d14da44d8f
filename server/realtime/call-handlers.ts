// The call events, from the reply page (start, hang up) and the desk app
// (answer, decline, send to phone, hang up) and keypad tones to a phone. Rate-limited per IP and per link.
import { ErrorCode } from '../../protocol/errors.js';
import {
  answerCallSchema,
  callDtmfSchema,
  callIdRequestSchema,
  startCallSchema,
} from '../../protocol/call.js';
import type { CallOrchestrator } from '../calls/call-orchestrator.js';
import type { Logger } from '../logger.js';
import type { RateLimits } from '../security/rate-limits.js';
import { hashToken } from '../security/tokens.js';
import type { LinkStore } from '../store/link-store.js';
import { clientAddress } from './socket-server.js';
import type { VoxSocket } from './typed-server.js';
import { RequestError, validated } from './validated-handler.js';

export class CallHandlers {
  readonly #calls: CallOrchestrator;
  readonly #links: LinkStore;
  readonly #limits: RateLimits;
  readonly #logger: Logger;

  constructor(calls: CallOrchestrator, links: LinkStore, limits: RateLimits, logger: Logger) {
    this.#calls = calls;
    this.#links = links;
    this.#limits = limits;
    this.#logger = logger.child({ component: 'call-events' });
  }

  attach(socket: VoxSocket): void {
    const log = this.#logger;
    socket.on(
      'call:start',
      validated('call:start', startCallSchema, log, async (request) => {
        await this.#limits.take(this.#limits.callStartPerIp, clientAddress(socket));
        await this.#limits.take(this.#limits.callStartPerLink, hashToken(request.token));
        const link = await this.#links.findByToken(request.token);
        if (!link) throw new RequestError(ErrorCode.NotFound, 'this link is no longer valid');
        return this.#calls.start(socket, {
          link,
          callerName: request.callerName,
          video: request.video,
        });
      }),
    );
    socket.on(
      'call:answer',
      validated('call:answer', answerCallSchema, log, (request) =>
        this.#calls.answer(socket, request.callId),
      ),
    );
    socket.on(
      'call:decline',
      validated('call:decline', callIdRequestSchema, log, (request) => {
        this.#calls.decline(socket, request.callId);
        return null;
      }),
    );
    socket.on(
      'call:sendToPhone',
      validated('call:sendToPhone', callIdRequestSchema, log, (request) => {
        this.#calls.sendToPhone(socket, request.callId);
        return null;
      }),
    );
    socket.on(
      'call:dtmf',
      validated('call:dtmf', callDtmfSchema, log, async (request) => {
        await this.#limits.take(this.#limits.keypadPerSocket, socket.id);
        this.#calls.sendTones(socket, request.callId, request.digits);
        return null;
      }),
    );
    socket.on(
      'call:hangup',
      validated('call:hangup', callIdRequestSchema, log, (request) => {
        this.#calls.hangup(socket, request.callId);
        return null;
      }),
    );
    socket.on('disconnect', () => this.#calls.disconnected(socket));
  }
}
