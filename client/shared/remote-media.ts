// The people on the other end of a call, one tile each: a name, their voice in
// an <audio> of its own (a browser plays one audio track per element), their
// video when they send it, and a mark on whoever speaks loudest now.
import type { Participant } from '../../protocol/group.js';
import type { VoxClientSocket } from './connection.js';

interface Tile {
  element: HTMLElement;
  caption: HTMLElement;
  audio: HTMLAudioElement;
  video: HTMLVideoElement | undefined;
}

export class RemoteMedia {
  readonly #container: HTMLElement;
  readonly #tiles = new Map<string, Tile>();
  readonly #names = new Map<string, string>();
  readonly #ownPeerId: () => string | undefined;
  readonly #unnamed: () => string;
  #speaker: string | undefined;

  /**
   * `container` holds the tiles; this page's own peer is left out of
   * participant lists; `unnamed` names a tile no list has named (the other
   * side of a one-to-one call, a phone).
   */
  constructor(container: HTMLElement, ownPeerId: () => string | undefined, unnamed: () => string) {
    this.#container = container;
    this.#ownPeerId = ownPeerId;
    this.#unnamed = unnamed;
  }

  /** Plays a remote track in its sender's tile. */
  play(track: MediaStreamTrack, peerId: string): void {
    const tile = this.#tile(peerId);
    const element = track.kind === 'video' ? this.#video(tile) : tile.audio;
    const stream = element.srcObject instanceof MediaStream ? element.srcObject : new MediaStream();
    // A new track of a kind replaces the old one (the call moved to another media worker).
    for (const old of stream.getTracks()) stream.removeTrack(old);
    stream.addTrack(track);
    element.srcObject = stream;
    void element.play().catch(() => undefined);
  }

  /** A remote track ended; a tile with nothing left to play, of someone not in the call, goes. */
  ended(track: MediaStreamTrack, peerId: string): void {
    const tile = this.#tiles.get(peerId);
    if (!tile) return;
    for (const element of [tile.audio, tile.video]) {
      if (element?.srcObject instanceof MediaStream) element.srcObject.removeTrack(track);
    }
    const playing = [tile.audio, tile.video].some(
      (element) =>
        element?.srcObject instanceof MediaStream && element.srcObject.getTracks().length,
    );
    if (!playing && !this.#names.has(peerId)) this.#remove(peerId);
  }

  /** Names everyone in the call; tiles of those who left go. */
  setParticipants(participants: Participant[]): void {
    const present = new Set<string>();
    for (const participant of participants) {
      if (participant.peerId === this.#ownPeerId()) continue;
      present.add(participant.peerId);
      this.#names.set(participant.peerId, participant.name);
      this.#tile(participant.peerId);
    }
    for (const peerId of [...this.#tiles.keys()]) if (!present.has(peerId)) this.#remove(peerId);
    this.#render();
  }

  /** Marks who is speaking (the server's dominant speaker). */
  setSpeaker(peerId: string): void {
    this.#speaker = peerId;
    this.#render();
  }

  clear(): void {
    for (const peerId of [...this.#tiles.keys()]) this.#remove(peerId);
    this.#names.clear();
    this.#speaker = undefined;
  }

  #tile(peerId: string): Tile {
    const existing = this.#tiles.get(peerId);
    if (existing) return existing;
    const element = document.createElement('figure');
    element.className = 'tile';
    element.dataset.peerId = peerId;
    const caption = document.createElement('figcaption');
    const audio = document.createElement('audio');
    audio.autoplay = true;
    element.append(audio, caption);
    this.#container.append(element);
    const tile: Tile = { element, caption, audio, video: undefined };
    this.#tiles.set(peerId, tile);
    this.#render();
    return tile;
  }

  #video(tile: Tile): HTMLVideoElement {
    if (tile.video) return tile.video;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // the voice plays in the tile's <audio>
    tile.element.prepend(video);
    tile.video = video;
    return video;
  }

  #remove(peerId: string): void {
    const tile = this.#tiles.get(peerId);
    if (!tile) return;
    for (const element of [tile.audio, tile.video]) {
      if (element?.srcObject instanceof MediaStream)
        for (const track of element.srcObject.getTracks()) track.stop();
      if (element) element.srcObject = null;
    }
    tile.element.remove();
    this.#tiles.delete(peerId);
    this.#names.delete(peerId);
  }

  #render(): void {
    // Only worth marking when more than one other person can speak.
    const several = this.#tiles.size > 1;
    for (const [peerId, tile] of this.#tiles) {
      const speaking = several && peerId === this.#speaker;
      tile.element.classList.toggle('speaking', speaking);
      tile.element.dataset.speaking = String(speaking);
      const name = this.#names.get(peerId) ?? this.#unnamed();
      tile.caption.textContent = speaking ? `${name} (speaking)` : name;
    }
  }
}

/** Keeps `remote` up to date with who is in the current call and who speaks. */
export function followParticipants(
  socket: VoxClientSocket,
  remote: RemoteMedia,
  currentCallId: () => string | undefined,
): void {
  socket.on('call:participants', ({ callId, participants, activeSpeaker }) => {
    if (callId !== currentCallId()) return;
    remote.setParticipants(participants);
    if (activeSpeaker) remote.setSpeaker(activeSpeaker);
  });
  socket.on('media:activeSpeaker', ({ peerId }) => {
    if (currentCallId()) remote.setSpeaker(peerId);
  });
}
