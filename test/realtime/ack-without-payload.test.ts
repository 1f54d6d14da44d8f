// A Socket.IO request sent with an acknowledgement but no payload (issue 16,
// web surface 6): every event the server registers answers it with a typed
// bad_request, from a reply page and from a logged-in desk. Before the fix the
// handler took the callback for the payload and never answered.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '../../protocol/ack.js';
import { CLIENT_EVENT_NAMES } from '../../protocol/event-names.js';
import { connect, signUp, socketsPerTest } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let server: RunningServer;
const sockets = socketsPerTest();

beforeAll(async () => {
  // Diagnostics rooms on: media:join is registered too, so every event is covered.
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100', DIAGNOSTICS_ROOMS: '1' });
});
afterAll(async () => {
  await server.stop();
});

/** The ack of `event` sent with nothing but a callback, or 'no answer'. */
async function bareAck(socket: Socket, event: string): Promise<Ack<unknown> | 'no answer'> {
  try {
    return (await socket.timeout(2000).emitWithAck(event)) as Ack<unknown>;
  } catch {
    return 'no answer';
  }
}

describe('a request with an ack but no payload', () => {
  for (const side of ['reply page', 'desk'] as const) {
    it(`is answered with a typed bad_request for every event (${side})`, async () => {
      const cookie = side === 'desk' ? (await signUp(server.url)).cookie : undefined;
      const socket = await connect(server.url, cookie);
      sockets.track(socket);
      const answers = await Promise.all(
        CLIENT_EVENT_NAMES.map(
          async (event) => [event, await bareAck(socket as unknown as Socket, event)] as const,
        ),
      );
      const wrong = answers.filter(
        ([, ack]) => ack === 'no answer' || ack.ok || ack.error.code !== 'bad_request',
      );
      expect(wrong).toEqual([]);
      for (const [event, ack] of answers)
        if (ack !== 'no answer' && !ack.ok) expect(ack.error.message).toContain(event);
    });
  }
});
