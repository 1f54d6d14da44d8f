// The desk app's service worker (/app/sw.js, scope /app): keeps the app shell
// for offline starts and turns push messages into ringing notifications while
// no desk tab is open, and
// tells the server of a push subscription the browser renewed. Built by client/build/desk-app.ts, which fills in the
// shell's file list and version.
/// <reference lib="webworker" />
import { installPushRings } from './push-rings.js';
import { installShellCache, type Shell } from './shell-cache.js';
import { installSubscriptionRenewal } from './subscription-renewal.js';

declare const self: ServiceWorkerGlobalScope;
/** Replaced at build time (client/build/desk-app.ts). */
declare const VOXREPLY_SHELL: Shell;

installShellCache(self, VOXREPLY_SHELL);
installPushRings(self);
installSubscriptionRenewal(self);
