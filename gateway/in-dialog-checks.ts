// Whether a request really belongs to a dialog (RFC 3261 section 12.2.2):
// routing by Call-ID alone would let anyone who learns a Call-ID end or hold
// a call. Our tag is random and never leaves the dialog's messages.
import type { SipRequest } from './sip-stack.js';

/** In-dialog: To carries our tag and From the far end's. */
export function matchesDialog(
  request: SipRequest,
  localTag: string,
  remoteTag: string | undefined,
): boolean {
  return (
    request.headers.to?.params.tag === localTag &&
    (remoteTag === undefined || request.headers.from?.params.tag === remoteTag)
  );
}

/** A CANCEL matches its INVITE's transaction: the same top Via branch (section 9.2). */
export function matchesInvite(request: SipRequest, invite: SipRequest): boolean {
  const branch = request.headers.via?.[0]?.params.branch;
  return branch !== undefined && branch === invite.headers.via?.[0]?.params.branch;
}

/** Methods we take inside a dialog; anything else gets 501 with this Allow. */
export const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY';
