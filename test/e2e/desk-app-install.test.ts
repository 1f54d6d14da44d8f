// The desk app installs as a web app (issue 18, "Install"), in a real Chromium
// with its own profile: Chromium finds nothing that stops installing /app, the
// manifest says what a launcher shows and its icons are PNGs of the sizes it
// names, the desk offers its Install button, and the service worker opens the
// desk with the server stopped while never keeping an API answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchAppBrowser, waitForWorkerControl } from '../support/installed-app.js';
import { startServer, type RunningServer } from '../support/server-process.js';
import { signUp } from '../support/sender.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.stop();
});

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose: string;
}

/** Width and height from a PNG's header (IHDR), or null when it is not a PNG. */
function pngSize(bytes: Buffer): string | null {
  if (bytes.subarray(1, 4).toString('latin1') !== 'PNG') return null;
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

describe('installing the desk app', () => {
  it('has no installability errors, a complete manifest, and an Install button', async () => {
    const app = await launchAppBrowser(server.url);
    try {
      const page = await app.context.newPage();
      await page.goto(`${server.url}/app`);
      await waitForWorkerControl(page);
      const cdp = await page.context().newCDPSession(page);
      // Chromium names each reason it would not install (no icon, no worker, ...).
      await expect
        .poll(async () => (await cdp.send('Page.getInstallabilityErrors')).installabilityErrors)
        .toEqual([]);
      const { url, errors } = await cdp.send('Page.getAppManifest');
      expect(errors).toEqual([]);
      expect(url).toBe(`${server.url}/app/manifest.webmanifest`);

      const response = await fetch(url);
      expect(response.headers.get('content-type')).toBe('application/manifest+json');
      const manifest = (await response.json()) as Record<string, unknown> & {
        icons: ManifestIcon[];
      };
      expect(manifest).toMatchObject({
        name: 'Voxreply',
        short_name: 'Voxreply',
        start_url: '/app',
        scope: '/app',
        display: 'standalone',
        theme_color: '#1a7f37',
        background_color: '#ffffff',
      });
      expect(manifest.icons.map((icon) => `${icon.sizes} ${icon.purpose}`).sort()).toEqual([
        '192x192 any',
        '192x192 maskable',
        '512x512 any',
        '512x512 maskable',
      ]);
      for (const icon of manifest.icons) {
        const image = await fetch(`${server.url}${icon.src}`);
        expect(image.headers.get('content-type'), icon.src).toBe('image/png');
        expect(pngSize(Buffer.from(await image.arrayBuffer())), icon.src).toBe(icon.sizes);
      }

      // Installable, so Chromium offers it: the desk shows its own button for that.
      await expect
        .poll(() => page.getByRole('button', { name: 'Install app' }).isVisible())
        .toBe(true);
      // Logged out: nothing asks about notifications yet.
      expect(await page.getByRole('button', { name: /notification rings/ }).count()).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('serves the worker and the page with the headers the browser needs', async () => {
    const worker = await fetch(`${server.url}/app/sw.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // Its scope is /app itself, above the script's own folder.
    expect(worker.headers.get('service-worker-allowed')).toBe('/app');
    expect(worker.headers.get('cache-control')).toBe('no-cache');
    const page = await fetch(`${server.url}/app`);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("worker-src 'self'");
    expect(policy).toContain("manifest-src 'self'");
    // Only the files the build makes: no listing, no other file under /app/.
    expect((await fetch(`${server.url}/app/icons/other.png`)).status).toBe(404);
  });
});

describe('offline', () => {
  it('opens the desk with the server stopped, and never answers an API request from a cache', async () => {
    const own = await startServer();
    const sender = await signUp(own.url, 'Ada Lovelace');
    const app = await launchAppBrowser(own.url, sender.cookie);
    try {
      const page = await app.context.newPage();
      await page.goto(`${own.url}/app`);
      await waitForWorkerControl(page);
      // Once more with the worker in charge: the desk's API requests pass it now.
      await page.reload();
      await expect.poll(() => page.locator('#me').textContent()).toContain('Ada Lovelace');
      expect(await page.evaluate(() => fetch('/api/session').then((r) => r.status))).toBe(200);

      await own.stop();
      await page.reload();
      // The page and its scripts come from the cache: the desk runs, cannot
      // check the session, offers log-in and says why.
      await expect
        .poll(() => page.locator('#auth-error').textContent())
        .toBe('Cannot reach Voxreply: check the connection, then reload this page.');
      expect(await page.getByRole('heading', { name: 'Voxreply' }).isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Log in' }).isVisible()).toBe(true);
      // The session answer it had a moment ago was not kept.
      expect(
        await page.evaluate(() =>
          fetch('/api/session').then(
            (response) => `answered ${response.status}`,
            (error: unknown) => `failed: ${(error as Error).name}`,
          ),
        ),
      ).toBe('failed: TypeError');
      const cached = await page.evaluate(async () => {
        const paths: string[] = [];
        for (const name of await caches.keys())
          for (const request of await (await caches.open(name)).keys())
            paths.push(new URL(request.url).pathname);
        return paths;
      });
      expect(cached).toContain('/app');
      expect(
        cached.filter((path) => !path.startsWith('/assets/') && !path.startsWith('/app')),
      ).toEqual([]);
    } finally {
      await app.close();
      await own.stop();
    }
  });
});
