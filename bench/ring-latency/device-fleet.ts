// A child process holding many desk-app device sockets. It reports, over IPC,
// the monotonic time (process.hrtime, shared by every process on the machine)
// at which each call:ring arrives.
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.js';

interface Plan {
  url: string;
  devices: { cookie: string; deviceId: string; label: string; idleMs: number }[];
}

const sockets: Socket<ServerToClientEvents, ClientToServerEvents>[] = [];
/** Devices the server registered (device:hello answered ok). */
let registered = 0;

process.on('message', (message: { type: 'connect'; plan: Plan } | { type: 'close' }) => {
  if (message.type === 'close') {
    for (const socket of sockets) socket.disconnect();
    process.exit(0);
  }
  void connectAll(message.plan);
});

async function connectAll(plan: Plan): Promise<void> {
  const batch = 100;
  for (let i = 0; i < plan.devices.length; i += batch) {
    await Promise.all(
      plan.devices.slice(i, i + batch).map((device) => connectOne(plan.url, device)),
    );
  }
  process.send?.({ type: 'ready', count: registered });
}

async function connectOne(url: string, device: Plan['devices'][number]): Promise<void> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { cookie: device.cookie },
  });
  sockets.push(socket);
  socket.on('call:ring', (call) => {
    process.send?.({ type: 'ring', callId: call.callId, at: process.hrtime.bigint().toString() });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const hello = await socket.emitWithAck('device:hello', {
    deviceId: device.deviceId,
    label: device.label,
    platform: 'bench',
  });
  if (hello.ok) registered += 1;
  socket.emit('device:activity', {
    idleMs: device.idleMs,
    focused: device.idleMs < 10_000,
    visible: true,
  });
}
