// Which of the sender's devices this browser is, for the service worker. The
// desk keeps its id in localStorage, which a worker cannot read; so the desk
// also leaves it in a cache of its own, where the worker finds it while no
// desk is open: to decline from a notification, and to send a push
// subscription the browser renewed (both name the device to the server).
const CACHE = 'voxreply-this-device';
const KEY = '/app/this-device';

/** Called by the desk at each start (the id never changes; a new profile gets a new one). */
export async function rememberThisDevice(deviceId: string): Promise<void> {
  const cache = await caches.open(CACHE);
  await cache.put(KEY, new Response(deviceId, { headers: { 'content-type': 'text/plain' } }));
}

/** The device id the desk left, or null if no desk ever ran in this browser profile. */
export async function thisDevice(): Promise<string | null> {
  const cached = await (await caches.open(CACHE)).match(KEY);
  return cached ? cached.text() : null;
}
