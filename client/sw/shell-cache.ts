// The app shell: the desk's HTML, scripts, styles, manifest and icons, cached
// at install so the installed app opens without a network. Nothing else is
// ever stored: API answers are per account and change every second, the
// socket and media are live, and a reply page (/r/<token>) is a credential.

export interface Shell {
  /** Changes whenever any shell file changes: names the cache. */
  version: string;
  /** Same-origin paths: '/app' and the files it loads. */
  files: string[];
}

const CACHE_PREFIX = 'voxreply-shell-';
const PAGE = '/app';

export function installShellCache(sw: ServiceWorkerGlobalScope, shell: Shell): void {
  const cacheName = CACHE_PREFIX + shell.version;
  const files = new Set(shell.files);

  sw.addEventListener('install', (event) => {
    // A new desk build takes over at once: its pages and assets are all
    // precached here, and the old cache goes in activate.
    event.waitUntil(
      caches
        .open(cacheName)
        .then((cache) => cache.addAll(shell.files))
        .then(() => sw.skipWaiting()),
    );
  });

  sw.addEventListener('activate', (event) => {
    event.waitUntil(
      (async () => {
        for (const name of await caches.keys()) {
          if (name.startsWith(CACHE_PREFIX) && name !== cacheName) await caches.delete(name);
        }
        // The page that registered the worker is served by it from now on,
        // without a reload (and a notification's Answer can find it).
        await sw.clients.claim();
      })(),
    );
  });

  sw.addEventListener('fetch', (event) => {
    const request = event.request;
    const url = new URL(request.url);
    if (request.method !== 'GET' || url.origin !== sw.location.origin) return;
    if (request.mode === 'navigate' && url.pathname === PAGE) {
      // Network first: an online desk always gets the current page (and its
      // current CSP); the cached one only when the server cannot be reached.
      // The query (?answer=<call>) is for the page's script, not the server.
      event.respondWith(fromNetworkElseCache(request, cacheName, PAGE));
    } else if (files.has(url.pathname) && url.pathname.startsWith('/assets/')) {
      // Hashed names: what is cached under one never changes.
      event.respondWith(fromCacheElseNetwork(request, cacheName));
    } else if (files.has(url.pathname)) {
      // The manifest and icons keep their names across builds.
      event.respondWith(fromNetworkElseCache(request, cacheName, url.pathname));
    }
    // Anything else (/api/*, /socket.io/*, media, other pages) is not
    // answered here: the browser fetches it as if there were no worker.
  });
}

async function fromNetworkElseCache(
  request: Request,
  cacheName: string,
  cachedPath: string,
): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await (await caches.open(cacheName)).match(cachedPath);
    if (cached) return cached;
    throw error;
  }
}

async function fromCacheElseNetwork(request: Request, cacheName: string): Promise<Response> {
  const cached = await (await caches.open(cacheName)).match(request);
  return cached ?? fetch(request);
}
