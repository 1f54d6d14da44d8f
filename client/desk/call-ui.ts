// The incoming-call dialog and the in-call panel of the desk app.
import type { IncomingCall, RingEnded } from '../../protocol/call.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { CallController } from '../shared/call-controller.js';
import type { VoxClientSocket } from '../shared/connection.js';
import { byId, formatDuration, show } from '../shared/dom.js';
import { MediaSession } from '../shared/media-session.js';
import { bindMuteButton, resetMuteButton } from '../shared/mute-button.js';
import { followParticipants, RemoteMedia } from '../shared/remote-media.js';
import { Ringtone } from '../shared/ringtone.js';
import { CallInvites } from './call-invites.js';
import { ringEndedText, whatHappened } from './call-outcomes.js';

/** The server's refusal of an answer, with its error code. */
class AnswerRefused extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Refusals that mean the call no longer rings this device. */
const RING_GONE = new Set<ErrorCode>(['not_found', 'conflict']);

/** The call this device is in. */
interface DeskCall {
  callId: string;
  caller: string;
  session: MediaSession;
  /** Updates the duration and connection quality every second. */
  timer: number;
}

export class CallUi {
  /** Told when a call this device took part in ends (history changed). */
  onCallFinished: () => void = () => undefined;
  /** Told when this device answered the call of a page it called back. */
  onCallBackAnswered: () => void = () => undefined;
  /** The call-back request this device called: the page's call for it is answered at once. */
  #callingBack: number | undefined;

  readonly #socket: VoxClientSocket;
  readonly #ringtone = new Ringtone();
  readonly #ringing = new Map<string, IncomingCall>();
  /** How recent rings ended, for an Answer pressed on a notification too late. */
  readonly #endedRings = new Map<string, RingEnded>();
  /** The call an answer is on its way for: a ring for it now is no news. */
  #answering: string | undefined;
  #titleTimer: number | undefined;
  /**
   * This device's call: ringing while the incoming dialog shows and the device
   * is in no call, placing while its answer is on the way, then connected.
   */
  readonly #calls = new CallController<DeskCall>();
  #notification: Notification | undefined;

  readonly #ui = {
    dialog: byId<HTMLDialogElement>('incoming'),
    from: byId('incoming-from'),
    subject: byId('incoming-subject'),
    busy: byId('incoming-busy'),
    answer: byId<HTMLButtonElement>('answer'),
    answerVideo: byId<HTMLButtonElement>('answer-video'),
    decline: byId<HTMLButtonElement>('decline'),
    sendToPhone: byId<HTMLButtonElement>('send-to-phone'),
    panel: byId('in-call'),
    title: byId('in-call-title'),
    duration: byId('call-duration'),
    quality: byId('call-quality'),
    mute: byId<HTMLButtonElement>('mute'),
    camera: byId<HTMLButtonElement>('camera'),
    hangUp: byId<HTMLButtonElement>('hang-up'),
    notice: byId('notice'),
  };
  readonly #remote: RemoteMedia;
  readonly #invites: CallInvites;

  constructor(socket: VoxClientSocket) {
    this.#socket = socket;
    this.#remote = new RemoteMedia(
      byId('remote-media'),
      () => socket.id,
      () => this.#calls.call?.caller ?? 'Caller',
    );
    this.#invites = new CallInvites(socket);
    followParticipants(socket, this.#remote, () => this.#calls.call?.callId);
    // Others joined or left: the title names who the sender talks with now.
    socket.on('call:participants', ({ callId, participants }) => {
      if (callId !== this.#calls.call?.callId) return;
      const others = participants.filter((p) => p.role === 'recipient').map((p) => p.name);
      this.#ui.title.textContent = `In a call with ${others.join(', ')}`;
    });
    socket.on('call:ring', (call) => this.#ring(call));
    socket.on('call:ringEnded', (ended) => this.#ringEnded(ended));
    socket.on('call:ended', (ended) => {
      if (ended.callId === this.#calls.call?.callId)
        this.#endCurrent(ended.by === 'caller' ? 'The caller hung up.' : 'Call ended.');
    });
    const ui = this.#ui;
    ui.answer.addEventListener('click', () => void this.#answer(false));
    ui.answerVideo.addEventListener('click', () => void this.#answer(true));
    ui.decline.addEventListener('click', () => void this.#decline());
    ui.sendToPhone.addEventListener('click', () => void this.#sendToPhone());
    ui.dialog.addEventListener('cancel', (event) => event.preventDefault());
    ui.hangUp.addEventListener('click', () => {
      const current = this.#calls.call;
      if (!current) return;
      void socket.emitWithAck('call:hangup', { callId: current.callId }).finally(() => {
        // Not a call answered since (the hang-up's answer can come late).
        if (this.#calls.call === current) this.#endCurrent('Call ended.');
      });
    });
    bindMuteButton(ui.mute, () => this.#calls.call?.session);
    bindMuteButton(
      ui.camera,
      () => this.#calls.call?.session,
      { on: 'Camera off', off: 'Camera on' },
      'video',
    );
  }

  /**
   * Answer pressed on a ring notification (client/sw/push-rings.ts), for a
   * call that may or may not ring in this tab: the server knows whether it
   * still rings this device. When it does not, says what happened instead.
   */
  async answerFromNotification(callId: string): Promise<void> {
    if (this.#calls.call?.callId === callId || this.#answering === callId) return;
    if (this.#calls.active && this.#calls.state !== 'ringing') {
      this.#notify('Hang up the current call first.');
      return;
    }
    await this.#answerCall(callId, false, () => whatHappened(callId, this.#endedRings.get(callId)));
  }

  /** This device called a recipient back (or stopped waiting: undefined). */
  expectCallBack(requestId: number | undefined): void {
    this.#callingBack = requestId;
  }

  #ring(call: IncomingCall): void {
    // Rung again while its answer from a notification is on the way.
    if (this.#answering === call.callId || this.#calls.call?.callId === call.callId) return;
    this.#ringing.set(call.callId, call);
    // The page this device called back answered: its call is this device's, no dialog.
    if (call.callbackId !== undefined && call.callbackId === this.#callingBack) {
      this.#callingBack = undefined;
      if (!this.#calls.active && this.#calls.transition('ringing')) {
        this.onCallBackAnswered();
        void this.#answerCall(call.callId, false);
        return;
      }
    }
    const ui = this.#ui;
    ui.dialog.dataset.callId = call.callId;
    ui.from.textContent = `${call.callerName}${call.callerEmail ? ` (${call.callerEmail})` : ''} is calling${call.video ? ' with video' : ''}`;
    ui.subject.textContent = call.subject ? `About: ${call.subject}` : '';
    show(ui.busy, call.senderBusy);
    show(ui.sendToPhone, call.canSendToPhone);
    if (!ui.dialog.open) ui.dialog.showModal();
    // In a call, the dialog rings for another: the state stays with the call.
    if (!this.#calls.active) this.#calls.transition('ringing');
    ui.answer.focus();
    this.#ringtone.start();
    this.#flashTitle(`📞 ${call.callerName}`);
    if (
      'Notification' in window &&
      Notification.permission === 'granted' &&
      document.visibilityState !== 'visible'
    ) {
      this.#notification = new Notification('Incoming call', {
        body: ui.from.textContent,
        tag: call.callId,
      });
    }
  }

  #ringEnded(ended: RingEnded): void {
    this.#ringing.delete(ended.callId);
    this.#endedRings.set(ended.callId, ended);
    // A few are enough: a notification is answered within a stage or not at all.
    for (const old of [...this.#endedRings.keys()].slice(0, -20)) this.#endedRings.delete(old);
    if (this.#ui.dialog.dataset.callId === ended.callId) this.#closeDialog();
    const text = ringEndedText(ended);
    if (text) this.#notify(text);
    this.onCallFinished();
  }

  async #answer(video: boolean): Promise<void> {
    const callId = this.#ui.dialog.dataset.callId;
    if (!callId) return;
    // One call at a time on a device, decided here: the server refuses a
    // second answer only among the calls of the node it reaches, and another
    // node may run the new call.
    if (this.#calls.state !== 'ringing') {
      this.#closeDialog();
      this.#notify('Hang up the current call first.');
      return;
    }
    await this.#answerCall(callId, video);
  }

  /**
   * Answers `callId` (ringing in the dialog or not) and sets up the call's
   * media. `refused` words a failed answer; else the server's message is shown.
   */
  async #answerCall(
    callId: string,
    video: boolean,
    refused?: () => Promise<string>,
  ): Promise<void> {
    this.#calls.transition('placing');
    this.#answering = callId;
    // Another call may ring in the dialog meanwhile: it rings on.
    if (this.#ui.dialog.dataset.callId === callId) this.#closeDialog();
    const session = new MediaSession(this.#socket);
    session.onTrack = (track, producer) => this.#remote.play(track, producer.peerId);
    session.onTrackEnded = (track, producer) => this.#remote.ended(track, producer.peerId);
    // Media could not follow the call to a new room: end it rather than sit in silence.
    session.onFailed = (error) => {
      if (this.#calls.call?.session !== session) return;
      void this.#socket.emitWithAck('call:hangup', { callId });
      this.#endCurrent(
        `The call was cut off: ${error instanceof Error ? error.message : String(error)}`,
      );
    };
    try {
      const ack = await this.#socket
        .emitWithAck('call:answer', { callId, video })
        .finally(() => (this.#answering = undefined));
      if (!ack.ok) throw new AnswerRefused(ack.error.code, ack.error.message);
      const answered = ack.data;
      // Unknown when answered from a notification: call:participants names them.
      const callerName = this.#ringing.get(callId)?.callerName;
      const caller = callerName ?? 'caller';
      this.#ringing.delete(callId);
      const started = Date.now();
      const timer = window.setInterval(() => void this.#tick(started), 1000);
      if (!this.#calls.transition('connected', { callId, caller, session, timer })) {
        // The call ended while it was being answered (the state left placing).
        window.clearInterval(timer);
        void this.#socket.emitWithAck('call:hangup', { callId });
        throw new Error('the call ended');
      }
      this.#ui.title.textContent = callerName ? `In a call with ${callerName}` : 'In a call';
      show(this.#ui.panel, true);
      this.#invites.show(callId);
      this.#ui.hangUp.focus();
      await session.start(
        answered.media,
        navigator.mediaDevices.getUserMedia({ audio: true, video }),
      );
      // The camera button turns the camera off and on again in a video call.
      this.#ui.camera.setAttribute('aria-pressed', 'false');
      this.#ui.camera.textContent = 'Camera off';
      this.#ui.camera.disabled = !video;
    } catch (error) {
      session.close();
      if (this.#calls.call?.callId === callId) {
        // Answered but cannot talk: end it rather than leave the caller in silence.
        void this.#socket.emitWithAck('call:hangup', { callId });
        this.#endCurrent('');
      } else {
        // Not answered (answered elsewhere, the caller gone): this device's call is over.
        this.#callOver();
        // Not ringing here (any more), or not a call the server knows: say why.
        if (refused && error instanceof AnswerRefused && RING_GONE.has(error.code)) {
          this.#notify(await refused());
          return;
        }
      }
      this.#notify(error instanceof Error ? error.message : String(error));
    }
  }

  async #decline(): Promise<void> {
    const callId = this.#ui.dialog.dataset.callId;
    this.#closeDialog();
    if (callId) await this.#socket.emitWithAck('call:decline', { callId });
  }

  async #sendToPhone(): Promise<void> {
    const callId = this.#ui.dialog.dataset.callId;
    this.#closeDialog();
    if (!callId) return;
    const ack = await this.#socket.emitWithAck('call:sendToPhone', { callId });
    if (!ack.ok) this.#notify(ack.error.message);
  }

  async #tick(started: number): Promise<void> {
    const current = this.#calls.call;
    if (!current) return;
    this.#ui.duration.textContent = formatDuration((Date.now() - started) / 1000);
    const quality = await current.session.quality();
    this.#ui.quality.textContent =
      quality.rttMs === null
        ? 'connecting…'
        : `connection ${quality.label} (${Math.round(quality.rttMs)} ms)`;
  }

  #endCurrent(message: string): void {
    const current = this.#calls.call;
    if (!current || !this.#callOver()) return;
    window.clearInterval(current.timer);
    current.session.close();
    this.#remote.clear();
    this.#invites.hide();
    show(this.#ui.panel, false);
    resetMuteButton(this.#ui.mute);
    resetMuteButton(this.#ui.camera, 'Camera off');
    if (message) this.#notify(message);
    this.onCallFinished();
  }

  /** This device's call ended; a call still ringing in the dialog rings on. */
  #callOver(): boolean {
    if (!this.#calls.transition('ended')) return false;
    if (this.#ui.dialog.open) this.#calls.transition('ringing');
    return true;
  }

  #closeDialog(): void {
    this.#ringtone.stop();
    this.#stopFlashing();
    this.#notification?.close();
    if (this.#ui.dialog.open) this.#ui.dialog.close();
    delete this.#ui.dialog.dataset.callId;
    // Declined, sent to a phone, answered elsewhere, gone: it did not become this device's call.
    if (this.#calls.state === 'ringing') this.#calls.transition('ended');
  }

  #notify(message: string): void {
    this.#ui.notice.textContent = message;
  }

  #flashTitle(text: string): void {
    this.#stopFlashing();
    const original = document.title;
    let on = false;
    this.#titleTimer = window.setInterval(() => {
      on = !on;
      document.title = on ? text : original;
    }, 1000);
    this.#stopFlashing = () => {
      window.clearInterval(this.#titleTimer);
      document.title = original;
      this.#stopFlashing = () => undefined;
    };
  }

  #stopFlashing: () => void = () => undefined;
}
