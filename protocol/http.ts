// What the browser apps add to every request they make to their own server.

/**
 * Sent by the apps on every API request. A page of another origin cannot add
 * it without a CORS preflight (which this server never grants), so a request
 * carrying it was made by our own page or by a non-browser client, never by
 * a form or a no-cors fetch elsewhere (ADR 006).
 */
export const REQUEST_HEADER = 'x-voxreply-request';

/**
 * What a client over the per-address connection cap is told, alike by the HTTP
 * server (a 429's message) and Socket.IO (connect_error's message).
 */
export const TOO_MANY_CONNECTIONS = 'too many connections from your address: close some and retry';
