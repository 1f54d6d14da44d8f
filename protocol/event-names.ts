// The client-to-server event names as a runtime list (events.ts has only types),
// for tests and tools that must cover every event; the compiler keeps it complete.
import type { ClientToServerEvents } from './events.js';

export const CLIENT_EVENT_NAMES = [
  'device:hello',
  'device:activity',
  'device:update',
  'call:answer',
  'call:decline',
  'call:sendToPhone',
  'call:start',
  'call:resume',
  'call:dtmf',
  'group:watch',
  'call:join',
  'call:recipients',
  'call:invite',
  'call:hangup',
  'chat:open',
  'chat:send',
  'chat:read',
  'status:watch',
  'callback:request',
  'callback:list',
  'callback:call',
  'callback:dismiss',
  'media:join',
  'media:createTransport',
  'media:connectTransport',
  'media:produce',
  'media:consume',
  'media:resumeConsumer',
  'media:closeProducer',
  'media:restartIce',
] as const satisfies readonly (keyof ClientToServerEvents)[];

export type ClientEventName = (typeof CLIENT_EVENT_NAMES)[number];

// Fails to compile when an event is added to ClientToServerEvents but not here.
type Missing = Exclude<keyof ClientToServerEvents, ClientEventName>;
export const clientEventNamesComplete: [Missing] extends [never] ? true : Missing = true;
