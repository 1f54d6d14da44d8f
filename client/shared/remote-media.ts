// Plays remote tracks: audio in a hidden <audio>, video in the given <video>.
export function playRemoteTrack(
  track: MediaStreamTrack,
  audio: HTMLAudioElement,
  video?: HTMLVideoElement,
): void {
  const element = track.kind === 'video' ? video : audio;
  if (!element) return;
  const stream = element.srcObject instanceof MediaStream ? element.srcObject : new MediaStream();
  stream.addTrack(track);
  element.srcObject = stream;
  if (video && track.kind === 'video') video.hidden = false;
  void element.play().catch(() => undefined);
}

export function clearRemoteMedia(...elements: (HTMLMediaElement | undefined)[]): void {
  for (const element of elements) {
    if (!element) continue;
    if (element.srcObject instanceof MediaStream)
      for (const track of element.srcObject.getTracks()) track.stop();
    element.srcObject = null;
  }
}
