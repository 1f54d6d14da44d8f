// What a reply page and the status badge show of a sender right now, read
// across every node: the devices connected anywhere (the device directory) and
// whether the sender is in an answered call anywhere (the live call directory),
// then `senderStatusOf` decides. One lookup per page or badge; nothing cached,
// so a status never lags a call by more than the directories do.
import type { SenderStatus } from '../../protocol/accounts.js';
import type { AccountStore } from '../store/account-store.js';
import { senderStatusOf, type DeviceDirectory } from './device-directory.js';

export type SenderStatusLookup = (accountId: number) => Promise<SenderStatus>;

export interface SenderStatusSources {
  accounts: Pick<AccountStore, 'findById'>;
  devices: Pick<DeviceDirectory, 'connectedActivities'>;
  /** The live calls (server/calls/call-directory.ts): a sender in an answered one is busy. */
  calls: { busy(accountId: number): Promise<boolean> };
}

export function senderStatusLookup({
  accounts,
  devices,
  calls,
}: SenderStatusSources): SenderStatusLookup {
  return async (accountId) => {
    const account = await accounts.findById(accountId);
    // An account gone since its link was read: nobody to reach.
    if (!account) return 'offline';
    const [connected, busy] = await Promise.all([
      devices.connectedActivities(accountId),
      calls.busy(accountId),
    ]);
    return senderStatusOf(connected, account.settings, busy);
  };
}
