// The built browser apps: the reply page at /r/:token, the desk app at /app,
// the diagnostics page at /diag (only when DIAGNOSTICS_ROOMS is on), and their
// hashed assets under /assets/. The installed desk app's manifest, icons and
// service worker are under /app/ (client/build/desk-app.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export interface ClientRoutesOptions {
  distDir: string;
  diagnostics: boolean;
}

// Pages carry no inline script and talk only to this origin.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // opus-recorder's encoder (voice messages) is WebAssembly: compiling it needs this, nothing more.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "img-src 'self' data:",
  // The desk's service worker (/app/sw.js) and its manifest; nothing else.
  "worker-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  // A form injected into a page could otherwise post what it holds anywhere.
  "form-action 'self'",
].join('; ');

/** The desk app's icons (client/build/app-icons.ts): these names only, nothing else under /app/. */
const APP_ICONS = ['icon-192.png', 'icon-512.png', 'maskable-192.png', 'maskable-512.png'];

export const clientRoutes: FastifyPluginAsync<ClientRoutesOptions> = async (app, options) => {
  if (!existsSync(path.join(options.distDir, 'reply', 'index.html'))) {
    throw new Error(
      `the browser apps are not built (${options.distDir}); run: npm run build:client`,
    );
  }
  await app.register(fastifyStatic, {
    root: path.join(options.distDir, 'assets'),
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
  });
  // Pages are never stored: /r/<token> is a credential a shared cache must not
  // keep, and a stale page would carry an old CSP and old asset names.
  // `cacheControl: false`: the plugin's immutable year (meant for the hashed
  // assets above) would otherwise replace this header.
  const page = (name: string) => ({
    handler: (_request: unknown, reply: import('fastify').FastifyReply) =>
      reply
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('cache-control', 'no-store')
        .sendFile(path.join(name, 'index.html'), options.distDir, { cacheControl: false }),
  });
  // Unhashed names: revalidated on every use, so a new build shows at once.
  const appFile = (name: string, type: string, headers: Record<string, string> = {}) => ({
    handler: (_request: unknown, reply: import('fastify').FastifyReply) =>
      reply
        .headers({ ...headers, 'cache-control': 'no-cache' })
        .type(type)
        .sendFile(name, path.join(options.distDir, 'app'), {
          cacheControl: false,
          contentType: false,
        }),
  });
  app.get(
    '/app/sw.js',
    appFile('sw.js', 'text/javascript; charset=utf-8', {
      // The worker's own CSP (its fetches), and its scope: /app itself, one
      // level above the script (the page's URL has no trailing slash).
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'service-worker-allowed': '/app',
    }),
  );
  app.get(
    '/app/manifest.webmanifest',
    appFile('manifest.webmanifest', 'application/manifest+json'),
  );
  for (const icon of APP_ICONS)
    app.get(`/app/icons/${icon}`, appFile(`icons/${icon}`, 'image/png'));
  app.get('/', (_request, reply) => reply.redirect('/app'));
  app.get('/app', page('desk'));
  app.get('/r/:token', page('reply'));
  if (options.diagnostics) app.get('/diag', page('diag'));
};
