// The reply page: a recipient calls the sender of the email the link came in.
import '../shared/base.css';
import type { Ack } from '../../protocol/ack.js';
import type { CallProgress, StartCallResult } from '../../protocol/call.js';
// The zod-free modules: the schemas' modules would bring zod into this page.
import {
  FINAL_CALLER_STAGES,
  offersVoiceMessage,
  type CallerStage,
} from '../../protocol/caller-stage.js';
import { MAX_CALLER_NAME_LENGTH, MAX_VIDEO_SENDERS } from '../../protocol/limits.js';
import type { ReplyPageInfo } from '../../protocol/links.js';
import { unwrap } from '../shared/ack.js';
import { api } from '../shared/api.js';
import { CallController } from '../shared/call-controller.js';
import { connect } from '../shared/connection.js';
import { byId, formatDuration, show } from '../shared/dom.js';
import { MediaSession } from '../shared/media-session.js';
import { bindMuteButton, resetMuteButton } from '../shared/mute-button.js';
import { followParticipants, RemoteMedia } from '../shared/remote-media.js';
import { Ringback } from '../shared/ringback.js';
import { CallBack } from './call-back.js';
import { CallResumption } from './call-resumption.js';
import { bindChat } from './chat.js';
import { GroupPrompt } from './group-prompt.js';
import { LiveStatus } from './live-status.js';
import { RingSteps } from './ring-steps.js';
import { VoiceMessage } from './voice-message.js';

const NAME_KEY = 'voxreply.callerName';
const token = decodeURIComponent(location.pathname.split('/r/')[1] ?? '');
/** Came from an email's "Reply by video" button: video is what the caller asked for. */
const wantsVideo = new URLSearchParams(location.search).get('video') === '1';

const ui = {
  senderLine: byId('sender-line'),
  subjectLine: byId('subject-line'),
  problem: byId('problem'),
  nameForm: byId<HTMLFormElement>('name-form'),
  nameInput: byId<HTMLInputElement>('caller-name'),
  start: byId('start'),
  call: byId<HTMLButtonElement>('call'),
  videoCall: byId<HTMLButtonElement>('video-call'),
  status: byId('call-status'),
  note: byId('call-note'),
  inCall: byId('in-call'),
  mute: byId<HTMLButtonElement>('mute'),
  hangUp: byId<HTMLButtonElement>('hang-up'),
  keypad: byId('keypad'),
};
ui.nameInput.maxLength = MAX_CALLER_NAME_LENGTH;

/** Small counts read better as words: "Four people". */
const COUNT_WORDS = ['No', 'One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven', 'Eight'];
/** A group call's video tiles are all taken: this page joins with its voice. */
const VIDEO_FULL = `${COUNT_WORDS[MAX_VIDEO_SENDERS] ?? MAX_VIDEO_SENDERS} people already send video: you are in the call with your voice.`;

/** The call this page is in. */
interface ReplyCall {
  id: string;
  session: MediaSession;
  /** Takes the call back after the connection drops (a call this page placed). */
  resumeToken?: string;
  /** Answers the sender's call-back: the page hears no ringback. */
  callback: boolean;
}

const socket = connect(byId('connection'));
/** From pressing Call (or Join) to the call's end: the page's one call and its state. */
const calls = new CallController<ReplyCall>();
let senderName = 'the sender';
/** Counts the connected call's duration up. */
let ticker: number | undefined;
/** "Call me back when they're free" (personal links). */
let callBack: CallBack | undefined;
const ringback = new Ringback();
const steps = new RingSteps(byId<HTMLOListElement>('ring-steps'), () => senderName);
calls.on('stateChanged', ({ state, call }) => {
  // Only a connected call counts its duration.
  if (state !== 'connected') window.clearInterval(ticker);
  // Ringback while it rings: it stops at answer, at "leave a message", at hang-up.
  if (state === 'ringing' && call?.callback === false) ringback.start();
  else ringback.stop();
  if (state !== 'ringing') steps.hide();
  callBack?.inCall(calls.active);
});
let voiceMessage: VoiceMessage | undefined;
/** Shown once a call is over: the invitation loop. */
let invite: ReplyPageInfo['invite'] = null;
/** The call about this email that other recipients are in (group replies). */
let group: GroupPrompt | undefined;
// A tile not named yet is the sender's (or their phone's): a one-to-one call has no list.
const remote = new RemoteMedia(
  byId('remote-media'),
  () => socket.id,
  () => senderName,
);
followParticipants(socket, remote, () => calls.call?.id);

function fail(message: string): void {
  ui.problem.textContent = message;
  show(ui.problem, true);
}

function stageText(stage: CallerStage): string {
  switch (stage) {
    case 'ringing':
      return `Ringing ${senderName}…`;
    case 'ringing_others':
      return `Trying ${senderName}'s other devices…`;
    case 'calling_phone':
      return `Calling ${senderName}'s phone…`;
    case 'connected':
      return 'Connected';
    case 'on_hold':
      return `${senderName}'s phone put the call on hold…`;
    case 'no_answer':
      return 'No answer';
    case 'busy':
      return `${senderName}'s phone is busy`;
    case 'declined':
      return `${senderName} can't take the call right now`;
    case 'unavailable':
      return `${senderName} is not taking calls right now`;
    case 'ended':
      return 'Call ended';
  }
}

/** The call is over (or never started): the page offers a new one. */
function endCall(text: string): void {
  const ending = calls.call;
  // Already over: the first ending's text stays.
  if (!calls.transition('ended')) return;
  ending?.session.close();
  remote.clear();
  ui.status.textContent = text;
  show(ui.inCall, false);
  show(ui.keypad, false);
  show(ui.note, false);
  resetMuteButton(ui.mute);
  ui.call.textContent = 'Call again';
  group?.setInCall(false);
  showStart();
  offerOwnLink();
}

/** The Call buttons, unless this page is in a call or may join the email's running call. */
function showStart(): void {
  show(ui.start, !calls.active && !group?.joinable);
}

/** After a call: "Get your own reply-by-voice link", sign-up filled in from this link. */
function offerOwnLink(): void {
  if (!invite) return;
  const query = new URLSearchParams({ from: token });
  if (invite.name) query.set('name', invite.name);
  byId<HTMLAnchorElement>('invite-link').href = `/app?${query}#signup`;
  byId('invite-note').textContent = ` — your calls with ${senderName} come along.`;
  show(byId('invite'), true);
}

function onProgress(progress: CallProgress): void {
  if (progress.callId !== calls.call?.id) return;
  window.clearInterval(ticker);
  if (FINAL_CALLER_STAGES.includes(progress.stage)) {
    endCall(stageText(progress.stage));
    // Stage 4 of the ring plan: nobody took the call, a message can (or a call-back).
    if (offersVoiceMessage(progress.stage)) {
      voiceMessage?.offer(progress.callId);
      callBack?.unanswered();
    }
    return;
  }
  steps.show(progress.stage);
  // A phone on hold is still a connected call; a stage change while ringing still rings.
  const state =
    progress.stage === 'connected' || progress.stage === 'on_hold' ? 'connected' : 'ringing';
  if (calls.state !== state && !calls.transition(state)) return;
  if (progress.stage === 'connected') {
    const since = Date.parse(progress.answeredAt ?? new Date().toISOString());
    const tick = () =>
      (ui.status.textContent = `Connected ${formatDuration((Date.now() - since) / 1000)}`);
    tick();
    ticker = window.setInterval(tick, 1000);
    // Talking to a phone: menus ("press 1") need keypad tones.
    show(ui.keypad, progress.toPhone === true);
    return;
  }
  ui.status.textContent = stageText(progress.stage);
}

/** The caller's name; when nobody gave one, the page asks for it (and says undefined). */
function askedName(): string | undefined {
  const callerName = ui.nameInput.value.trim();
  if (callerName) return callerName;
  show(ui.nameForm, true);
  ui.nameInput.focus();
  ui.nameForm.reportValidity();
  return undefined;
}

/** `callback`: the ticket of the sender's call-back this page answers. */
async function startCall(video: boolean, callback?: string): Promise<void> {
  // Placed: the sender's devices ring (answering a call-back: the desk that called).
  await enterCall(
    video,
    'ringing',
    (callerName) =>
      socket.emitWithAck('call:start', {
        token,
        callerName,
        video,
        ...(callback ? { callback } : {}),
      }),
    callback !== undefined,
  );
}

/** Joins the call other recipients of this email are in with the sender. */
async function joinCall(callId: string, video: boolean): Promise<void> {
  // The email's call is answered already: joined is connected.
  await enterCall(video, 'connected', (callerName) =>
    socket.emitWithAck('call:join', { token, callId, callerName, video }),
  );
}

/** Starts or joins a call, then sends the microphone (and camera) and plays the others. */
async function enterCall(
  video: boolean,
  accepted: 'ringing' | 'connected',
  request: (callerName: string) => Promise<Ack<StartCallResult>>,
  callback = false,
): Promise<void> {
  const callerName = askedName();
  if (!callerName) return;
  // One call at a time (the table would let ringing go to placing: that is the desk's Answer).
  if (calls.active || !calls.transition('placing')) return;
  localStorage.setItem(NAME_KEY, callerName);
  show(ui.problem, false);
  show(ui.start, false);
  group?.setInCall(true);
  ui.status.textContent = callback ? `Connecting to ${senderName}…` : `Calling ${senderName}…`;
  const session = new MediaSession(socket);
  session.onTrack = (track, producer) => remote.play(track, producer.peerId);
  session.onTrackEnded = (track, producer) => remote.ended(track, producer.peerId);
  let callId: string | undefined;
  // Media could not follow the call to a new room: end it rather than sit in silence.
  session.onFailed = (error) => {
    if (callId === undefined || calls.call?.id !== callId) return;
    void socket.emitWithAck('call:hangup', { callId });
    endCall('');
    fail(`The call was cut off: ${error instanceof Error ? error.message : String(error)}`);
  };
  try {
    const started = unwrap(await request(callerName));
    callId = started.callId;
    const call = { id: started.callId, session, resumeToken: started.resumeToken, callback };
    // Only this function leaves placing: the arrow is there unless the table changed.
    if (!calls.transition(accepted, call)) throw new Error('the call could not go on');
    show(ui.inCall, true);
    ui.hangUp.focus();
    const camera = video && started.maySendVideo;
    ui.note.textContent = VIDEO_FULL;
    show(ui.note, video && !camera);
    await session.start(
      started.media,
      navigator.mediaDevices.getUserMedia({ audio: true, video: camera }),
    );
  } catch (error) {
    session.close();
    // The call may already be over (nobody to ring): its own message stays.
    if (callId !== undefined && calls.call?.id !== callId) return;
    // Otherwise stop it ringing the sender: this page cannot talk.
    if (callId !== undefined) void socket.emitWithAck('call:hangup', { callId });
    endCall('');
    fail(error instanceof Error ? error.message : String(error));
  }
}

async function load(): Promise<void> {
  let info: ReplyPageInfo;
  try {
    info = await api<ReplyPageInfo>('GET', `/api/reply/${encodeURIComponent(token)}`);
  } catch (error) {
    fail(error instanceof Error ? error.message : 'This reply link cannot be opened.');
    return;
  }
  senderName = info.senderName;
  callBack = new CallBack(socket, token, {
    senderName: () => senderName,
    callerName: askedName,
    answer: (ticket) => void startCall(false, ticket),
    call: () => void startCall(wantsVideo),
  });
  // The status stays live (pushed over the socket), as far as the sender shows it.
  const status = new LiveStatus(socket, token, ui.senderLine, {
    senderName,
    status: info.senderStatus,
  });
  status.onWatched = (watched) => {
    callBack?.watched(watched.callbackOffered, watched.callbackWaiting);
    callBack?.statusChanged(watched.status);
  };
  status.onChange = (changed) => callBack?.statusChanged(changed);
  if (info.subject) {
    ui.subjectLine.textContent = `About: ${info.subject}`;
    show(ui.subjectLine, true);
  }
  voiceMessage = new VoiceMessage(token, info.voicemailMaxSeconds, () => ui.nameInput.value.trim());
  invite = info.invite;
  if (info.chat) {
    bindChat(
      socket,
      token,
      () => ui.nameInput.value.trim(),
      () => {
        show(ui.nameForm, true);
        ui.nameInput.focus();
      },
    );
  }
  const known = info.recipientName ?? localStorage.getItem(NAME_KEY);
  ui.nameInput.value = known ?? '';
  // Ask once, only when neither the link nor this browser knows the caller.
  show(ui.nameForm, !known);
  group = new GroupPrompt(socket, token, senderName);
  group.onJoin = (callId, video) => void joinCall(callId, video);
  group.onChange = showStart;
  showStart();
}

socket.on('call:progress', onProgress);
new CallResumption(socket, calls, {
  status: (text) => (ui.status.textContent = text),
  end: endCall,
});
// Ended where the page's progress could not say so (its call's node died, or this page's
// newer connection took the call).
socket.on('call:ended', ({ callId }) => {
  if (callId === calls.call?.id) endCall('Call ended');
});

ui.nameForm.addEventListener('submit', (event) => {
  event.preventDefault();
  // Enter in the name field does what the visible button offers.
  const joinable = group?.joinableCall;
  if (joinable) void joinCall(joinable.callId, joinable.video);
  else void startCall(wantsVideo);
});
if (wantsVideo) {
  // The video call becomes the first, main button; a voice call stays one click away.
  ui.call.classList.remove('primary');
  ui.videoCall.classList.add('primary');
  ui.call.before(ui.videoCall);
}
ui.call.addEventListener('click', () => void startCall(false));
ui.videoCall.addEventListener('click', () => void startCall(true));
bindMuteButton(ui.mute, () => calls.call?.session);
ui.hangUp.addEventListener('click', () => {
  const current = calls.call;
  if (!current) return;
  void socket
    .emitWithAck('call:hangup', { callId: current.id })
    .finally(() => endCall('Call ended'));
});

void load();

/** Keypad tones to the phone (also from the keyboard while the keypad shows). */
function pressKey(key: string): void {
  const current = calls.call;
  if (!current || ui.keypad.hidden) return;
  void socket.emitWithAck('call:dtmf', { callId: current.id, digits: key }).then((ack) => {
    if (!ack.ok) fail(ack.error.message);
  });
}

ui.keypad.addEventListener('click', (event) => {
  const key = event.target instanceof HTMLElement ? event.target.dataset.key : undefined;
  if (key) pressKey(key);
});
document.addEventListener('keydown', (event) => {
  if (/^[0-9*#]$/.test(event.key) && !(event.target instanceof HTMLInputElement)) {
    pressKey(event.key);
  }
});
