// A sender, as the desk app is one: an account (HTTP, session cookie) and
// devices (Socket.IO clients that say hello and send activity beats).
import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { afterEach } from 'vitest';
import type { Ack } from '../../protocol/ack.js';
import type {
  CallerStage,
  CallRecordView,
  IncomingCall,
  RingEnded,
  StartCallResult,
} from '../../protocol/call.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.js';
import { REQUEST_HEADER } from '../../protocol/http.js';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Sender {
  email: string;
  cookie: string;
  api: (method: string, path: string, body?: unknown) => Promise<Response>;
}

export function randomEmail(name = 'Ada Lovelace'): string {
  return `${name.split(' ')[0]?.toLowerCase() ?? 'x'}.${randomBytes(4).toString('hex')}@example.org`;
}

export async function signUp(
  baseUrl: string,
  name = 'Ada Lovelace',
  email = randomEmail(name),
): Promise<Sender> {
  const response = await fetch(`${baseUrl}/api/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, email, password: 'correct horse battery' }),
  });
  if (response.status !== 201)
    throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method,
      // As the desk app does (client/shared/api.ts): bodiless POSTs need it.
      headers: {
        cookie,
        [REQUEST_HEADER]: '1',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { email, cookie, api };
}

export async function createLink(
  sender: Sender,
  body: object = {},
): Promise<{ id: number; token: string }> {
  const response = await sender.api('POST', '/api/links', body);
  const created = (await response.json()) as { id: number; url: string };
  return { id: created.id, token: created.url.split('/r/')[1] ?? '' };
}

export function connect(baseUrl: string, cookie?: string): Promise<TestSocket> {
  const socket: TestSocket = io(baseUrl, {
    transports: ['websocket'],
    reconnection: false,
    ...(cookie ? { extraHeaders: { cookie } } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

export interface TestDevice {
  socket: TestSocket;
  deviceId: string;
  rings: IncomingCall[];
  ringEnds: RingEnded[];
  beat: (idleMs: number, focused: boolean) => Promise<void>;
}

/** A desk-app tab; pass the `deviceId` of another to open a second tab of one device. */
export async function connectDevice(
  baseUrl: string,
  sender: Sender,
  label: string,
  deviceId = randomBytes(12).toString('base64url'),
): Promise<TestDevice> {
  const socket = await connect(baseUrl, sender.cookie);
  const rings: IncomingCall[] = [];
  const ringEnds: RingEnded[] = [];
  socket.on('call:ring', (call) => rings.push(call));
  socket.on('call:ringEnded', (ended) => ringEnds.push(ended));
  ok(await socket.emitWithAck('device:hello', { deviceId, label, platform: 'test' }));
  return {
    socket,
    deviceId,
    rings,
    ringEnds,
    beat: async (idleMs, focused) => {
      ok(
        (await socket.emitWithAck('device:activity', {
          idleMs,
          focused,
          visible: focused,
        })) as Ack<null>,
      );
    },
  };
}

export interface TestCaller {
  socket: TestSocket;
  stages: CallerStage[];
}

export async function connectCaller(baseUrl: string): Promise<TestCaller> {
  const socket = await connect(baseUrl);
  const stages: CallerStage[] = [];
  socket.on('call:progress', (progress) => stages.push(progress.stage));
  return { socket, stages };
}

export function ok<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A reply page starts a call on the link with this token. */
export async function startCall(
  caller: TestCaller,
  token: string,
  callerName = 'Grace',
): Promise<StartCallResult> {
  return ok(await caller.socket.emitWithAck('call:start', { token, callerName, video: false }));
}

/** The sender's call history, newest first. */
export async function callHistory(sender: Sender): Promise<CallRecordView[]> {
  return (await (await sender.api('GET', '/api/calls')).json()) as CallRecordView[];
}

/**
 * Reply pages and desk tabs that one test opens, disconnected after it:
 * call once at the top of a test file.
 */
export function socketsPerTest(): {
  caller: (url: string) => Promise<TestCaller>;
  device: (url: string, sender: Sender, label: string) => Promise<TestDevice>;
  track: (socket: TestSocket) => void;
} {
  const open: TestSocket[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) socket.disconnect();
  });
  const track = (socket: TestSocket) => void open.push(socket);
  return {
    caller: async (url) => {
      const page = await connectCaller(url);
      track(page.socket);
      return page;
    },
    device: async (url, sender, label) => {
      const desk = await connectDevice(url, sender, label);
      track(desk.socket);
      return desk;
    },
    track,
  };
}
