// The socket every app opens to its server, and a visible line that says
// whether it is connected (for people, and for the end-to-end tests).
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.js';

export type VoxClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Online',
  disconnected: 'Offline, reconnecting…',
};

export function connect(statusElement: HTMLElement): VoxClientSocket {
  const socket: VoxClientSocket = io({ transports: ['websocket', 'polling'] });
  const show = (state: ConnectionState): void => {
    statusElement.dataset.connectionState = state;
    statusElement.textContent = LABELS[state];
  };
  show('connecting');
  socket.on('connect', () => show('connected'));
  socket.on('disconnect', () => show('disconnected'));
  socket.io.on('reconnect_attempt', () => show('connecting'));
  return socket;
}
