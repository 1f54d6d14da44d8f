// Voice messages over HTTP against the built server: an Ogg/Opus upload is
// stored once per upload key (also when the first try was cut off), announced
// to the sender's desk app, played back byte for byte, marked and deleted;
// anything else gets a clear refusal and stores nothing.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../protocol/errors.js';
import type { VoicemailUploaded, VoicemailView } from '../../protocol/voicemail.js';
import { opusTone } from '../support/opus-files.js';
import { connectDevice, createLink, signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let server: RunningServer;
const tone = opusTone(2);

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100', VOICEMAIL_MAX_SECONDS: '10' });
});

afterAll(async () => {
  await server.stop();
});

let keys = 0;
const newKey = () => `upload-key-${Date.now()}-${keys++}`.padEnd(16, 'x');

function upload(token: string, body: Buffer, key = newKey(), callerName = 'Grace Hopper') {
  const query = new URLSearchParams({ callerName, key });
  return fetch(`${server.url}/api/reply/${token}/voicemail?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'audio/ogg' },
    body: new Uint8Array(body),
  });
}

async function messages(sender: Sender): Promise<VoicemailView[]> {
  return (await (await sender.api('GET', '/api/voicemails')).json()) as VoicemailView[];
}

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as ErrorBody).error.message;
}

/** Sends the headers and half the body of an upload, then drops the connection. */
function cutOff(token: string, body: Buffer, key: string): Promise<void> {
  const url = new URL(`${server.url}/api/reply/${token}/voicemail?callerName=Grace&key=${key}`);
  return new Promise((resolve) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'audio/ogg', 'content-length': body.length },
    });
    request.on('error', () => resolve());
    request.write(body.subarray(0, body.length / 2), () => {
      setTimeout(() => {
        request.destroy();
        resolve();
      }, 200);
    });
  });
}

describe('voice messages', () => {
  it('are stored, announced at once, played back as recorded, marked heard and deleted', async () => {
    const sender = await signUp(server.url);
    const link = await createLink(sender, {
      recipientEmail: 'grace@example.org',
      subject: 'Q3 plan',
    });
    const desk = await connectDevice(server.url, sender, 'Laptop');
    const announced = new Promise<VoicemailView>((resolve) =>
      desk.socket.once('voicemail:new', resolve),
    );

    const response = await upload(link.token, tone);
    expect(response.status).toBe(201);
    const stored = (await response.json()) as VoicemailUploaded;
    expect(stored.durationSeconds).toBeCloseTo(2, 0);
    expect(await announced).toMatchObject({
      id: stored.id,
      callerName: 'Grace Hopper',
      callerEmail: 'grace@example.org',
      subject: 'Q3 plan',
      heardAt: null,
    });
    desk.socket.disconnect();

    const audio = await sender.api('GET', `/api/voicemails/${stored.id}/audio`);
    expect(audio.headers.get('content-type')).toBe('audio/ogg');
    expect(Buffer.from(await audio.arrayBuffer()).equals(tone)).toBe(true);
    // Nobody else can listen.
    const stranger = await signUp(server.url, 'Eve Stranger');
    expect((await stranger.api('GET', `/api/voicemails/${stored.id}/audio`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/voicemails/${stored.id}/audio`)).status).toBe(401);

    expect(
      (await sender.api('PATCH', `/api/voicemails/${stored.id}`, { heard: true })).status,
    ).toBe(204);
    expect((await messages(sender))[0]?.heardAt).not.toBeNull();
    expect((await sender.api('DELETE', `/api/voicemails/${stored.id}`)).status).toBe(204);
    expect(await messages(sender)).toEqual([]);
    expect((await sender.api('GET', `/api/voicemails/${stored.id}/audio`)).status).toBe(404);
  });

  it('stores one message when an upload is retried, also after a cut-off first try', async () => {
    const sender = await signUp(server.url);
    const link = await createLink(sender);
    const key = newKey();
    await cutOff(link.token, tone, key);
    expect(await messages(sender)).toEqual([]);
    const first = (await (await upload(link.token, tone, key)).json()) as VoicemailUploaded;
    const again = await upload(link.token, tone, key);
    expect(again.status).toBe(201);
    expect(((await again.json()) as VoicemailUploaded).id).toBe(first.id);
    expect((await messages(sender)).map((message) => message.id)).toEqual([first.id]);
  });

  it('keeps one link from filling the mailbox: five unheard messages, then a clear no', async () => {
    const sender = await signUp(server.url);
    const link = await createLink(sender);
    for (let i = 0; i < 5; i++) expect((await upload(link.token, tone)).status).toBe(201);
    const sixth = await upload(link.token, tone);
    expect(sixth.status).toBe(409);
    expect(await errorOf(sixth)).toMatch(/5 messages from this link are waiting/);
    // Once the sender listens, the link may leave another.
    const [first] = await messages(sender);
    await sender.api('PATCH', `/api/voicemails/${first?.id ?? ''}`, { heard: true });
    expect((await upload(link.token, tone)).status).toBe(201);
  });

  it('refuses what is not a whole Ogg/Opus recording of the allowed length, storing nothing', async () => {
    const sender = await signUp(server.url);
    const link = await createLink(sender);
    const notAudio = await upload(link.token, Buffer.from('<script>alert(1)</script>'.repeat(100)));
    expect(notAudio.status).toBe(415);
    expect(await errorOf(notAudio)).toBe('the recording is not Ogg/Opus audio');

    const truncated = await upload(link.token, tone.subarray(0, Math.floor(tone.length * 0.6)));
    expect(truncated.status).toBe(400);
    expect(await errorOf(truncated)).toMatch(/incomplete/);

    const tooLong = await upload(link.token, opusTone(12));
    expect(tooLong.status).toBe(400);
    expect(await errorOf(tooLong)).toBe('the recording is longer than 10 seconds');

    const wrongType = await fetch(
      `${server.url}/api/reply/${link.token}/voicemail?callerName=G&key=${newKey()}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      },
    );
    expect(wrongType.status).toBeGreaterThanOrEqual(400);
    expect(await messages(sender)).toEqual([]);

    const unknown = await upload('AAAAAAAAAAAAAAAAAAAAAA', tone);
    expect(unknown.status).toBe(404);
  });
});
