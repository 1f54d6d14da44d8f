// TURN credentials in coturn's shared-secret scheme (use-auth-secret, the
// "TURN REST API" draft): the username carries its own expiry, the password is
// the username's HMAC-SHA1 under a secret coturn also holds. Nothing is stored;
// a leaked credential stops working when it expires.
import { createHmac } from 'node:crypto';
import type { IceServer } from '../../protocol/media.js';
import type { IceConfig } from '../config.js';

interface TurnCredentials {
  username: string;
  credential: string;
}

function turnCredentials(
  secret: string,
  user: string,
  ttlMs: number,
  now = Date.now(),
): TurnCredentials {
  const expires = Math.floor((now + ttlMs) / 1000);
  const username = `${expires}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The ICE servers one peer gets: STUN as configured, TURN with credentials of its own. */
export function iceServersFor(ice: IceConfig, peerId: string, now = Date.now()): IceServer[] {
  const servers: IceServer[] = [];
  if (ice.stunUrls.length > 0) servers.push({ urls: ice.stunUrls });
  if (ice.turn) {
    servers.push({
      urls: ice.turn.urls,
      ...turnCredentials(ice.turn.secret, peerId, ice.turn.credentialTtlMs, now),
    });
  }
  return servers;
}
