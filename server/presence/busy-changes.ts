// Tells when a sender becomes busy (a call of theirs is answered) or free
// again (it ends), for the status pushed to reply pages (status-feed.ts).
// Wraps the call directory the call code writes to, so the call domain
// stays as it is: the node that runs a call opens, answers and closes its
// entry, and this node hears of it here. Bounded by this node's live calls.
import type { CallDirectory } from '../calls/call-directory.js';

export function reportingBusyChanges(
  directory: CallDirectory,
  changed: (accountId: number) => void,
): CallDirectory {
  /** This node's calls and their senders (entries leave when the call closes). */
  const senders = new Map<string, number>();
  const tell = (callId: string): void => {
    const accountId = senders.get(callId);
    if (accountId !== undefined) changed(accountId);
  };
  return {
    async open(callId, accountId, snapshot) {
      const opened = await directory.open(callId, accountId, snapshot);
      if (opened) senders.set(callId, accountId);
      return opened;
    },
    async answered(callId, snapshot) {
      await directory.answered(callId, snapshot);
      tell(callId);
    },
    async close(callId) {
      await directory.close(callId);
      tell(callId);
      senders.delete(callId);
    },
    owner: (callId) => directory.owner(callId),
    entry: (callId) => directory.entry(callId),
    async takeOver(callId, from, snapshot) {
      const taken = await directory.takeOver(callId, from, snapshot);
      if (taken) senders.set(callId, snapshot.accountId);
      return taken;
    },
    busy: (accountId) => directory.busy(accountId),
    onLost(handler) {
      directory.onLost((callId) => {
        senders.delete(callId);
        handler(callId);
      });
    },
    stop: () => directory.stop(),
  };
}
