// Forwarding phones over HTTP, against the built server: the list is kept whole
// and in order, bad lists are refused without storing anything, and each
// sender sees only their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../protocol/errors.js';
import type { PhoneList, PhoneNumber } from '../../protocol/phones.js';
import { signUp, type Sender } from '../support/sender.js';
import { startServer, type RunningServer } from '../support/server-process.js';

let server: RunningServer;

beforeAll(async () => {
  // Every test signs up afresh; the sign-up limit is per address.
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '100' });
});

afterAll(async () => {
  await server.stop();
});

const mobile: PhoneNumber = { number: '+15551230001', label: 'Mobile', askToPress1: true };
const office: PhoneNumber = { number: '+15551230002', label: 'Office', askToPress1: false };
const home: PhoneNumber = { number: '+445551230003', label: 'Home', askToPress1: true };

async function stored(sender: Sender): Promise<PhoneNumber[]> {
  const response = await sender.api('GET', '/api/me/phones');
  expect(response.status).toBe(200);
  return ((await response.json()) as PhoneList).phones;
}

async function save(sender: Sender, phones: unknown): Promise<Response> {
  return sender.api('PUT', '/api/me/phones', { phones });
}

/** A refused PUT: 400, the message it carries, and the list left as it was. */
async function expectRefused(sender: Sender, phones: unknown): Promise<string> {
  const before = await stored(sender);
  const response = await save(sender, phones);
  expect(response.status).toBe(400);
  const body = (await response.json()) as ErrorBody;
  expect(body.error.code).toBe('bad_request');
  expect(await stored(sender)).toEqual(before);
  return body.error.message;
}

describe('forwarding phones', () => {
  it('start empty, and a saved list comes back trimmed and in the order given', async () => {
    const sender = await signUp(server.url);
    expect(await stored(sender)).toEqual([]);

    const response = await save(sender, [
      { number: ' +15551230002 ', label: ' Office ', askToPress1: false },
      home,
      mobile,
    ]);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ phones: [office, home, mobile] });
    expect(await stored(sender)).toEqual([office, home, mobile]);

    expect((await save(sender, [mobile, office])).status).toBe(200);
    expect(await stored(sender)).toEqual([mobile, office]);
    expect((await save(sender, [])).status).toBe(200);
    expect(await stored(sender)).toEqual([]);
  });

  it('refuses a number that is not E.164, naming the field, and stores nothing', async () => {
    const sender = await signUp(server.url);
    expect((await save(sender, [mobile])).status).toBe(200);
    for (const number of ['5551230002', '+0551230002', '+1 555 123 0002', '+12345', '']) {
      const message = await expectRefused(sender, [office, { number, label: 'Desk' }]);
      expect(message).toBe('phones.1.number must be an E.164 number such as +15551234567');
    }
    expect(await expectRefused(sender, [{ number: '+15551230009', label: ' ' }])).toContain(
      'phones.0.label',
    );
  });

  it('refuses the same number twice', async () => {
    const sender = await signUp(server.url);
    expect((await save(sender, [home])).status).toBe(200);
    const message = await expectRefused(sender, [
      mobile,
      office,
      { number: ' +15551230001', label: 'Mobile again' },
    ]);
    expect(message).toContain('each number only once');
  });

  it('refuses more than five numbers', async () => {
    const sender = await signUp(server.url);
    const six = Array.from({ length: 6 }, (_, i) => ({
      number: `+1555123000${i}`,
      label: `Phone ${i}`,
    }));
    expect((await save(sender, six.slice(0, 5))).status).toBe(200);
    expect(await expectRefused(sender, six)).toContain('phones');
    // Left out, "ask me to press 1" is on.
    expect(await stored(sender)).toEqual(six.slice(0, 5).map((p) => ({ ...p, askToPress1: true })));
  });

  it('keeps "ask me to press 1" per number, and refuses anything but true or false', async () => {
    const sender = await signUp(server.url);
    expect((await save(sender, [mobile, office])).status).toBe(200);
    expect((await stored(sender)).map((p) => p.askToPress1)).toEqual([true, false]);
    const message = await expectRefused(sender, [{ ...mobile, askToPress1: 'no' }]);
    expect(message).toContain('phones.0.askToPress1');
  });

  it('refuses a body without a list', async () => {
    const sender = await signUp(server.url);
    const response = await sender.api('PUT', '/api/me/phones', { numbers: [mobile] });
    expect(response.status).toBe(400);
    expect(await stored(sender)).toEqual([]);
  });

  it('answers 401 without a session', async () => {
    const get = await fetch(`${server.url}/api/me/phones`);
    expect(get.status).toBe(401);
    const put = await fetch(`${server.url}/api/me/phones`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phones: [mobile] }),
    });
    expect(put.status).toBe(401);
    expect(((await put.json()) as ErrorBody).error.code).toBe('unauthorized');
  });

  it('keeps each sender to their own list', async () => {
    const ada = await signUp(server.url, 'Ada Lovelace');
    const grace = await signUp(server.url, 'Grace Hopper');
    expect((await save(ada, [mobile, office])).status).toBe(200);
    expect(await stored(grace)).toEqual([]);
    // The same number may be on two senders' lists (a shared office line).
    expect((await save(grace, [office])).status).toBe(200);
    expect(await stored(ada)).toEqual([mobile, office]);
    expect(await stored(grace)).toEqual([office]);
  });
});
