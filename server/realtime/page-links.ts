// A reply page names its link by token over the socket (status, call-back):
// looked up as GET /api/reply/ does, within the same per-address budget. A
// token that works gives its point back, so an open page's reconnects do not
// spend the budget of the pages behind the same address; unknown, revoked
// and expired tokens answer alike.
import { ErrorCode } from '../../protocol/errors.js';
import { RequestError } from '../errors.js';
import { LINK_NOT_WORKING } from '../http/link-routes.js';
import type { RateLimits } from '../security/rate-limits.js';
import { linkUsable, type Link, type LinkStore } from '../store/link-store.js';
import { clientAddress } from './socket-server.js';
import type { VoxSocket } from './typed-server.js';

export async function pageLink(
  socket: VoxSocket,
  token: string,
  parts: { links: LinkStore; limits: RateLimits },
): Promise<Link> {
  const { links, limits } = parts;
  const address = clientAddress(socket);
  await limits.take(limits.linkLookupPerIp, address);
  const link = await links.findByToken(token);
  if (!link || !linkUsable(link)) throw new RequestError(ErrorCode.NotFound, LINK_NOT_WORKING);
  await limits.refund(limits.linkLookupPerIp, address);
  return link;
}
