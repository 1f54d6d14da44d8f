// Requests inside a live dialog, the same for calls in both directions.
// Whether a request really belongs to the dialog (RFC 3261 section 12.2.2):
// routing by Call-ID alone would let anyone who learns a Call-ID end or hold
// a call; our tag is random and never leaves the dialog's messages. And how
// each method is answered once it does.
import { AnswerRetransmission } from './answer-retransmission.js';
import type { SipRequest, SipStack } from './sip-stack.js';

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
const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY';

/** What answering inside a dialog needs from the dialog itself. */
export interface DialogParty {
  /** Our Contact URI for this dialog. */
  contact: string;
  /** The far end hung up (its BYE is answered 200 already). */
  onBye(): void;
  /** Our SDP for a re-INVITE's or UPDATE's offer (hold, unhold, refresh); none: no body. */
  answerOffer(offer: string | undefined): string | undefined;
  /** Keeps the 2xx to a re-INVITE, resent until its ACK (stop the previous one). */
  answering(retransmission: AnswerRetransmission): void;
  /** An INFO (answered 200 already): keys sent out of band, for a dialog that listens. */
  onInfo?(request: SipRequest): void;
}

/**
 * Answers a request that matched the dialog (not ACK or CANCEL, which the
 * dialog handles): BYE, re-INVITE and UPDATE, harmless methods 200, others 501.
 */
export function answerInDialog(stack: SipStack, request: SipRequest, party: DialogParty): void {
  switch (request.method) {
    case 'BYE':
      stack.respond(request, 200, 'OK');
      party.onBye();
      return;
    case 'INVITE':
    case 'UPDATE':
      return answerOffer(stack, request, party);
    case 'INFO':
      stack.respond(request, 200, 'OK');
      party.onInfo?.(request);
      return;
    case 'OPTIONS':
    case 'NOTIFY':
      stack.respond(request, 200, 'OK');
      return;
    default:
      stack.respond(request, 501, 'Not Implemented', { headers: { allow: ALLOWED_METHODS } });
  }
}

function answerOffer(stack: SipStack, request: SipRequest, party: DialogParty): void {
  const sdp =
    request.method === 'UPDATE' && !request.content
      ? undefined
      : party.answerOffer(request.content || undefined);
  const send = (): void =>
    stack.respond(request, 200, 'OK', {
      headers: {
        contact: [{ uri: party.contact, params: {} }],
        ...(sdp ? { 'content-type': 'application/sdp' } : {}),
      },
      ...(sdp ? { content: sdp } : {}),
    });
  // An UPDATE's 200 is retransmitted by its transaction; a re-INVITE's is ours to resend.
  if (request.method === 'UPDATE') send();
  else party.answering(new AnswerRetransmission(send, () => undefined));
}
