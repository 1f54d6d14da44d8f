// The web surface against strangers (issue 16, "Web surface" 1, 2, 3 and 7):
// how pages are cached, requests from other origins of the same site (a page
// on another port posting with the victim's cookie, in a real Chromium and as
// raw HTTP), lookups of link tokens in bulk, and the headers and error shape
// of every answer, router errors included; /metrics only for its addresses.
import http from 'node:http';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_HEADER } from '../../protocol/http.js';
import { launchChromium } from '../support/chromium.js';
import { projectRoot } from '../support/project.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import {
  connect,
  createLink,
  signUp,
  sleep,
  type Sender,
  type TestSocket,
} from '../support/sender.js';

let server: RunningServer;

beforeAll(async () => {
  // Every test signs up from 127.0.0.1; the lookup limit has its own server below.
  server = await startServer({ RATE_LIMIT_MULTIPLIER: '10' });
});

afterAll(async () => {
  await server.stop();
});

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request exactly as written (fetch would neither send Origin nor keep a raw path). */
function raw(
  base: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: rawPath,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function linkCount(sender: Sender): Promise<number> {
  return ((await (await sender.api('GET', '/api/links')).json()) as unknown[]).length;
}

async function loggedIn(sender: Sender): Promise<boolean> {
  return (await sender.api('GET', '/api/me')).status === 200;
}

describe('caching (item 1)', () => {
  it('never lets a cache keep a page; hashed assets stay immutable', async () => {
    const sender = await signUp(server.url);
    const link = await createLink(sender);
    for (const page of ['/app', `/r/${link.token}`]) {
      const response = await fetch(`${server.url}${page}`);
      expect(response.status, page).toBe(200);
      expect(response.headers.get('cache-control'), page).toBe('no-store');
    }
    const asset = readdirSync(path.join(projectRoot, 'dist/client/assets')).find((file) =>
      file.endsWith('.js'),
    );
    const response = await fetch(`${server.url}/assets/${asset ?? ''}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });
});

describe('requests from another origin of the same site (item 2)', () => {
  it('refuses a foreign Origin and a bodiless POST that names none', async () => {
    const victim = await signUp(server.url, 'Victor Victim');
    const foreign = `http://127.0.0.1:${server.port + 1}`;
    const before = await linkCount(victim);

    // What a page on another port sends with the victim's (SameSite=Lax) cookie.
    const created = await raw(server.url, 'POST', '/api/links', {
      cookie: victim.cookie,
      origin: foreign,
    });
    expect(created.status).toBe(403);
    expect(JSON.parse(created.body)).toMatchObject({ error: { code: 'forbidden' } });
    // A browser that strips Origin (privacy settings, old versions) sends the bare POST.
    const bare = await raw(server.url, 'POST', '/api/links', { cookie: victim.cookie });
    expect(bare.status).toBe(403);
    // "null" is what a sandboxed or no-referrer page sends.
    const nullOrigin = await raw(server.url, 'POST', '/api/logout', {
      cookie: victim.cookie,
      origin: 'null',
    });
    expect(nullOrigin.status).toBe(403);
    // A simple (preflight-free) content type without Origin: refused before parsing.
    const form = await raw(
      server.url,
      'POST',
      '/api/links',
      { cookie: victim.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      'subject=x',
    );
    expect(form.status).toBe(403);
    const logout = await raw(server.url, 'POST', '/api/logout', {
      cookie: victim.cookie,
      origin: foreign,
    });
    expect(logout.status).toBe(403);
    // The same host and port by another scheme is another origin (a page served
    // over http:// to a browser without schemeful same-site carries the cookie).
    const otherScheme = await raw(server.url, 'POST', '/api/links', {
      cookie: victim.cookie,
      origin: server.url.replace(/^http:/, 'https:'),
    });
    expect(otherScheme.status).toBe(403);
    expect(await linkCount(victim)).toBe(before);
    expect(await loggedIn(victim)).toBe(true);

    // The app itself: its own origin, or the header it sends.
    const own = await raw(server.url, 'POST', '/api/links', {
      cookie: victim.cookie,
      origin: server.url,
    });
    expect(own.status).toBe(201);
    const withHeader = await raw(server.url, 'POST', '/api/links', {
      cookie: victim.cookie,
      [REQUEST_HEADER]: '1',
    });
    expect(withHeader.status).toBe(201);
    // JSON needs a preflight from another origin: a client without Origin may send it.
    const json = await raw(
      server.url,
      'POST',
      '/api/links',
      { cookie: victim.cookie, 'content-type': 'application/json' },
      '{}',
    );
    expect(json.status).toBe(201);
    expect(await linkCount(victim)).toBe(before + 3);
  });

  it('behind a TLS proxy, refuses an http:// Origin of the https:// site', async () => {
    const own = await startServer({
      PUBLIC_URL: 'https://voxreply.example',
      TRUST_PROXY: 'loopback',
    });
    try {
      const post = (host: string, origin: string) =>
        raw(own.url, 'POST', '/api/links', { host, origin, 'x-forwarded-proto': 'https' });
      // The site's own origin, and the origin of another name it is reached by.
      expect((await post('voxreply.example', 'https://voxreply.example')).status).toBe(401);
      expect((await post('alt.example', 'https://alt.example')).status).toBe(401);
      expect((await post('alt.example', 'https://alt.example:443')).status).toBe(401);
      for (const [host, origin] of [
        ['voxreply.example', 'http://voxreply.example'],
        ['alt.example', 'http://alt.example'],
        ['alt.example', 'https://alt.example:8443'],
      ] as const) {
        const answer = await post(host, origin);
        expect(answer.status, origin).toBe(403);
        expect(JSON.parse(answer.body), origin).toMatchObject({ error: { code: 'forbidden' } });
      }
    } finally {
      await own.stop();
    }
  });

  describe('in a real Chromium', () => {
    let browser: Browser;
    let attacker: http.Server;
    let attackerUrl = '';

    beforeAll(async () => {
      browser = await launchChromium();
      // Same host, another port: same site, so SameSite=Lax cookies go along.
      attacker = http.createServer((_request, response) => {
        response.setHeader('content-type', 'text/html');
        response.end(`<!doctype html><script>
          const target = ${JSON.stringify(server.url)};
          const post = (path) =>
            fetch(target + path, { method: 'POST', mode: 'no-cors', credentials: 'include' })
              .then(() => 'sent', (error) => String(error));
          (async () => {
            const results = [await post('/api/links'), await post('/api/logout')];
            document.title = 'done ' + results.join(',');
          })();
        </script>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerUrl = `http://127.0.0.1:${(attacker.address() as { port: number }).port}/`;
    });

    afterAll(async () => {
      await browser.close();
      await new Promise((resolve) => attacker.close(resolve));
    });

    it('keeps a page on another port from acting with the victim session', async () => {
      const victim = await signUp(server.url, 'Victor Victim');
      const before = await linkCount(victim);
      const context = await browser.newContext();
      const [name, value] = victim.cookie.split('=') as [string, string];
      // As the server sets it (session-cookie.ts).
      await context.addCookies([{ name, value, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
      const page = await context.newPage();
      await page.goto(attackerUrl);
      await expect.poll(() => page.title()).toMatch(/^done /);
      expect(await loggedIn(victim)).toBe(true);
      expect(await linkCount(victim)).toBe(before);

      // The app's own pages still post with it: Chromium sends their Origin.
      const app = await context.newPage();
      await app.goto(`${server.url}/app`);
      const status = await app.evaluate(async () => {
        const response = await fetch('/api/links', { method: 'POST' });
        return response.status;
      });
      expect(status).toBe(201);
      expect(await linkCount(victim)).toBe(before + 1);
      await context.close();
    });
  });
});

describe('link lookups (item 3)', () => {
  it('answers unknown, revoked and expired links alike to all but the owner', async () => {
    const sender = await signUp(server.url);
    const revoked = await createLink(sender);
    expect((await sender.api('DELETE', `/api/links/${revoked.id}`)).status).toBe(204);
    const expiring = await createLink(sender, {
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });
    await sleep(1700);
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    const anonymous = await Promise.all(
      [unknown, revoked.token, expiring.token].map(async (token) => {
        const response = await fetch(`${server.url}/api/reply/${token}`);
        return { status: response.status, body: await response.text() };
      }),
    );
    expect(anonymous[0]?.status).toBe(404);
    expect(new Set(anonymous.map((answer) => JSON.stringify(answer))).size).toBe(1);
    // Another account learns no more than a stranger.
    const other = await signUp(server.url, 'Mallory');
    const seenByOther = await other.api('GET', `/api/reply/${revoked.token}`);
    expect(await seenByOther.text()).toBe(anonymous[0]?.body);
    // The owner is told why.
    const own = (await (await sender.api('GET', `/api/reply/${revoked.token}`)).json()) as {
      error: { message: string };
    };
    expect(own.error.message).toMatch(/turned off/);
    const ownExpired = (await (await sender.api('GET', `/api/reply/${expiring.token}`)).json()) as {
      error: { message: string };
    };
    expect(ownExpired.error.message).toMatch(/expired/);

    // A reply page's chat by token says no more than the HTTP answer, to
    // strangers and to another account's desk alike.
    const caller = await connect(server.url);
    const otherDesk = await connect(server.url, other.cookie);
    try {
      const { error } = JSON.parse(anonymous[0]?.body ?? '{}') as { error: unknown };
      const expected = { ok: false, error };
      for (const socket of [caller, otherDesk])
        for (const token of [unknown, revoked.token, expiring.token]) {
          expect(await socket.emitWithAck('chat:open', { token }), token).toEqual(expected);
          expect(
            await socket.emitWithAck('chat:send', { token, text: 'hi', authorName: 'G' }),
            token,
          ).toEqual(expected);
        }
    } finally {
      caller.disconnect();
      otherDesk.disconnect();
    }
  });

  it('limits chat lookups by token per address, whatever the socket', async () => {
    const own = await startServer();
    const sockets = await Promise.all([connect(own.url), connect(own.url)]);
    try {
      const codes: string[] = [];
      for (let i = 0; i < 400 && !codes.includes('rate_limited'); i += 20) {
        const acks = await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            (sockets[j % 2] as TestSocket).emitWithAck('chat:open', {
              token: `A${String(i + j).padStart(21, 'A')}`,
            }),
          ),
        );
        for (const ack of acks) codes.push(ack.ok ? 'ok' : ack.error.code);
      }
      expect(codes).toContain('rate_limited');
      // The same budget as over HTTP: link pages from this address wait too.
      expect((await fetch(`${own.url}/api/reply/AAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(429);
    } finally {
      for (const socket of sockets) socket.disconnect();
      await own.stop();
    }
  });

  it('limits lookups per address', async () => {
    const own = await startServer();
    try {
      for (const [lookup, burst] of [
        ['/api/reply/AAAAAAAAAAAAAAAAAAAAAA', 400],
        ['/r/AAAAAAAAAAAAAAAAAAAAAA', 400],
      ] as const) {
        const statuses: number[] = [];
        for (let i = 0; i < burst; i += 50) {
          const batch = await Promise.all(
            Array.from({ length: 50 }, () => fetch(`${own.url}${lookup}`).then((r) => r.status)),
          );
          statuses.push(...batch);
          if (batch.includes(429)) break;
        }
        expect(statuses, lookup).toContain(429);
      }
      const limited = await fetch(`${own.url}/api/reply/AAAAAAAAAAAAAAAAAAAAAA`);
      expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    } finally {
      await own.stop();
    }
  });

  it('answers badges over the limit with the neutral badge, never a broken image', async () => {
    const own = await startServer();
    try {
      const sender = await signUp(own.url);
      const link = await createLink(sender);
      const badge = async (file: string) => {
        const response = await fetch(`${own.url}/b/${file}`);
        return {
          status: response.status,
          type: response.headers.get('content-type'),
          body: await response.text(),
        };
      };
      // The sender shows their status (the default) and has no device online.
      expect((await badge(`${link.token}.svg`)).body).toContain('Offline');
      // Many readers behind one webmail image proxy: far past the limit (600 a minute).
      const answers: { status: number; type: string | null }[] = [];
      for (let i = 0; i < 800; i += 50)
        answers.push(
          ...(await Promise.all(
            Array.from({ length: 50 }, () => badge('AAAAAAAAAAAAAAAAAAAAAA.png')),
          )),
        );
      for (const answer of answers)
        expect(answer).toMatchObject({ status: 200, type: 'image/png' });
      // Still limited: the real link's badge is neutral now, its status not looked up.
      const limited = await badge(`${link.token}.svg`);
      expect(limited.status).toBe(200);
      expect(limited.type).toMatch(/^image\/svg\+xml/);
      expect(limited.body).toContain('Reply by voice');
    } finally {
      await own.stop();
    }
  });
});

describe('headers and errors (item 7)', () => {
  it('sends nosniff and no-referrer everywhere, and form-action on pages', async () => {
    for (const target of ['/app', '/api/me', '/healthz', '/no-such-page']) {
      const response = await fetch(`${server.url}${target}`);
      expect(response.headers.get('x-content-type-options'), target).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), target).toBe('no-referrer');
    }
    const page = await fetch(`${server.url}/app`);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
  });

  it("answers router and body-parser errors in the app's own shape", async () => {
    const sender = await signUp(server.url);
    const cases: [string, string, Record<string, string>, string | undefined, number, string][] = [
      ['GET', '/%zz', {}, undefined, 400, 'bad_request'],
      ['GET', '/no-such-page', {}, undefined, 404, 'not_found'],
      ['PUT', '/api/links', { [REQUEST_HEADER]: '1' }, undefined, 404, 'not_found'],
      // The same-origin check comes before routing: unknown routes are no way around it.
      ['PUT', '/api/links', { origin: 'http://evil.example' }, undefined, 403, 'forbidden'],
      [
        'POST',
        '/api/links',
        { 'content-type': 'application/xml', [REQUEST_HEADER]: '1', cookie: sender.cookie },
        '<link/>',
        415,
        'unsupported_media',
      ],
      [
        'POST',
        '/api/links',
        { 'content-type': 'application/json', cookie: sender.cookie },
        '{',
        400,
        'bad_request',
      ],
    ];
    for (const [method, target, headers, body, status, code] of cases) {
      const answer = await raw(server.url, method, target, headers, body);
      expect(answer.status, `${method} ${target}`).toBe(status);
      const parsed = JSON.parse(answer.body) as { error: { code: string; message: string } };
      expect(parsed, `${method} ${target}`).toEqual({
        error: { code, message: expect.any(String) as string },
      });
    }
  });

  it('serves /metrics only to METRICS_ALLOW addresses', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    const own = await startServer({ METRICS_ALLOW: '192.0.2.0/24' });
    try {
      const response = await fetch(`${own.url}/metrics`);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'forbidden' } });
    } finally {
      await own.stop();
    }
  });
});
