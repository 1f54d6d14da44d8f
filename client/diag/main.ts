// The media check page: joins a diagnostics room, sends the microphone, plays
// every other peer's audio and shows its dominant frequency and network path.
import '../shared/base.css';
import { unwrap } from '../shared/ack.js';
import { connect } from '../shared/connection.js';
import { MediaSession } from '../shared/media-session.js';
import { dominantFrequency } from '../shared/tone-meter.js';

const byId = (id: string): HTMLElement => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element;
};

const params = new URLSearchParams(location.search);
const room = params.get('room') ?? 'check';
const policy = params.get('transport') === 'tcp' ? 'tcp' : 'any';
byId('room').textContent = `${room} (${policy === 'tcp' ? 'TCP only' : 'UDP, TCP fallback'})`;

const mediaState = byId('media-state');
const setState = (state: string, label: string): void => {
  mediaState.dataset.state = state;
  mediaState.textContent = label;
};

const socket = connect(byId('connection'));
const session = new MediaSession(socket, policy);

session.onTrack = (track) => {
  setState('receiving', 'Sending and receiving');
  const stream = new MediaStream([track]);
  // Chromium only feeds a remote track to WebAudio while it is also played.
  const audio = new Audio();
  audio.srcObject = stream;
  void audio.play().catch(() => undefined);
  const heard = byId('heard');
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(stream).connect(analyser);
  void context.resume();
  setInterval(() => {
    const reading = dominantFrequency(analyser, context.sampleRate);
    if (!reading) return;
    heard.dataset.hz = String(Math.round(reading.hz));
    heard.textContent = `${Math.round(reading.hz)} Hz at ${reading.decibels.toFixed(0)} dB`;
  }, 250);
};

let started = false;
socket.on('connect', () => {
  if (started) return;
  started = true;
  setState('starting', 'Starting…');
  socket
    .emitWithAck('media:join', { room })
    .then((ack) => session.start(unwrap(ack), navigator.mediaDevices.getUserMedia({ audio: true })))
    .then(() => {
      if (mediaState.dataset.state === 'starting')
        setState('sending', 'Sending, waiting for others');
    })
    .catch((error: unknown) => {
      setState('failed', `Failed: ${error instanceof Error ? error.message : String(error)}`);
    });
});

setInterval(() => {
  void session.networkPath().then((path) => {
    if (path) byId('network-path').textContent = path;
    if (path) byId('network-path').dataset.protocol = path.split(' ')[0]?.toLowerCase() ?? '';
  });
}, 1000);
