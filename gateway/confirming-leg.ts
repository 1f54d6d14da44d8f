// Carries out the confirmation table (confirmation-table.ts) for one answered
// phone leg: screens the leg (nothing passes between the phone and the room),
// renders and plays the announcement, listens for keys (RFC 4733 in the
// phone's RTP, SIP INFO in its dialog), runs the timer, and finally bridges
// the leg or hangs it up. Reports the end once ('settled').
import { EventEmitter } from 'node:events';
import type { PlainRtpLeg } from '../media/plain-rtp-leg.js';
import { promptCodec, type Announcements } from './announcement.js';
import {
  CONFIRM_TIMEOUT_MS,
  START,
  step,
  type ConfirmationEffect,
  type ConfirmationEvent,
  type ConfirmationState,
} from './confirmation-table.js';
import type { GatewayLogger } from './gateway-logger.js';
import { TelephoneEvents } from './keypad-input.js';
import { offeredTelephoneEventType } from './leg-codecs.js';
import type { OutboundCall } from './outbound-call.js';
import { playPrompt, type PromptPlayback } from './prompt-player.js';
import type { NegotiatedMedia } from './sdp.js';

export interface ConfirmingLegEvents {
  /** A final state: confirmed or bridged (connect it), declined or cancelled (it is hung up). */
  settled: [state: ConfirmationState];
}

export interface ConfirmingLegOptions {
  call: OutboundCall;
  leg: PlainRtpLeg;
  /** The 2xx's answer: the codec the announcement is played in, the keypad's payload type. */
  answer: NegotiatedMedia;
  announcements: Announcements;
  /** What the phone hears (announcementText). */
  text: string;
  logger: GatewayLogger;
  /** Logged with every line. */
  context: object;
}

/** The announcement plays this many times, with this pause between. */
const REPEATS = 2;
const PAUSE_MS = 700;
/** After a long announcement's second playing ends, the phone still has this long. */
const AFTER_PROMPT_MS = 2_000;

export class ConfirmingLeg extends EventEmitter<ConfirmingLegEvents> {
  readonly #options: ConfirmingLegOptions;
  #state: ConfirmationState = START;
  #timer: NodeJS.Timeout | undefined;
  readonly #answeredAt = Date.now();
  #audio: Buffer | undefined;
  #playback: PromptPlayback | undefined;
  readonly #onInfoKey = (key: string): void => this.#dispatch({ type: 'key', key, via: 'info' });
  readonly #onEnded = (): void => this.#dispatch({ type: 'phone_hung_up' });

  constructor(options: ConfirmingLegOptions) {
    super();
    this.#options = options;
  }

  get state(): ConfirmationState {
    return this.#state;
  }

  start(): void {
    const { call, leg, answer, announcements, text, logger, context } = this.#options;
    leg.screen(true);
    this.#timer = setTimeout(() => this.#dispatch({ type: 'time_up' }), CONFIRM_TIMEOUT_MS);
    const event = answer.telephoneEvent;
    if (event) {
      const offered = offeredTelephoneEventType(event.clockRate);
      const keys = new TelephoneEvents(
        event.payloadType,
        ...(offered === undefined ? [] : [offered]),
      );
      leg.listenToFarEnd((packet) => {
        const key = keys.read(packet);
        if (key !== undefined) this.#dispatch({ type: 'key', key, via: 'rtp' });
      });
    } else {
      logger.warn(context, 'the phone took no telephone-event: keys can only come by SIP INFO');
    }
    call.on('infoKey', this.#onInfoKey);
    // Before the forwarding hears of the end: it reads our state then.
    call.prependOnceListener('ended', this.#onEnded);
    const codec = promptCodec(answer.codec.name);
    if (!codec) {
      return this.#dispatch({
        type: 'prompt_failed',
        why: `no announcement in ${answer.codec.name}`,
      });
    }
    logger.info({ ...context, codec }, 'phone answered: asking to press 1');
    announcements.render(text, codec).then(
      (audio) => {
        this.#audio = audio;
        this.#dispatch({ type: 'prompt_ready' });
      },
      (error: unknown) => {
        logger.error({ ...context, err: error }, 'could not make the announcement');
        this.#dispatch({
          type: 'prompt_failed',
          why: error instanceof Error ? error.message : String(error),
        });
      },
    );
  }

  /** The caller left (or the call was taken elsewhere) while the phone was asked. */
  cancel(): void {
    this.#dispatch({ type: 'cancel' });
  }

  #dispatch(event: ConfirmationEvent): void {
    const next = step(this.#state, event);
    if (!next.accepted) return;
    this.#state = next.state;
    if (event.type === 'key') {
      this.#options.logger.info(
        { ...this.#options.context, key: event.key, via: event.via },
        'key from the phone',
      );
    }
    for (const effect of next.effects) this.#carryOut(effect);
    const final = next.state.kind !== 'preparing' && next.state.kind !== 'announcing';
    if (final) this.#settle();
  }

  #carryOut(effect: ConfirmationEffect): void {
    const { call, leg, answer } = this.#options;
    switch (effect.type) {
      case 'play': {
        const audio = this.#audio;
        if (!audio) return;
        this.#playback = playPrompt(
          {
            sendAudio: (payload, samples, first) =>
              leg.sendAudio(answer.codec, payload, samples, first),
          },
          audio,
          { times: REPEATS, pauseMs: PAUSE_MS },
        );
        void this.#playback.done.then(() => this.#dispatch({ type: 'prompt_done' }));
        // A long announcement (a long subject): the phone may hear it out twice.
        // Counted from now: rendering it may have taken a while since the answer.
        const promptMs = (REPEATS * audio.length) / 8 + (REPEATS - 1) * PAUSE_MS;
        const deadline = Math.max(
          this.#answeredAt + CONFIRM_TIMEOUT_MS,
          Date.now() + promptMs + AFTER_PROMPT_MS,
        );
        if (deadline > this.#answeredAt + CONFIRM_TIMEOUT_MS) {
          clearTimeout(this.#timer);
          this.#timer = setTimeout(
            () => this.#dispatch({ type: 'time_up' }),
            deadline - Date.now(),
          );
        }
        return;
      }
      case 'stop':
        return this.#playback?.stop();
      case 'clear_timer':
        return clearTimeout(this.#timer);
      case 'bridge':
        leg.screen(false);
        return;
      case 'hang_up':
        call.hangup();
        return;
    }
  }

  #settle(): void {
    const { call, leg, logger, context } = this.#options;
    leg.listenToFarEnd(undefined);
    call.off('infoKey', this.#onInfoKey);
    call.off('ended', this.#onEnded);
    logger.info({ ...context, confirmation: this.#state }, 'phone leg confirmation ended');
    this.emit('settled', this.#state);
  }
}
