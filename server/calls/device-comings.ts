// A sender's devices leaving and coming back while their calls ring (on any
// node: the device directory says). A device that leaves stops ringing (the
// ring plan moves on when nobody is left); one that comes back may be rung
// by later stages; a closed app that opens (from its notification) is rung
// as a connected device from then on.
import type { DeviceDirectory } from '../presence/device-directory.js';
import type { CallEvent } from './call-machine.js';
import type { LiveCall, LiveCalls } from './live-call.js';

export function followDevices(
  directory: DeviceDirectory,
  live: LiveCalls,
  dispatch: (call: LiveCall, event: CallEvent) => boolean,
): void {
  directory.on('deviceLeft', (accountId, deviceId) => {
    for (const call of live.ofAccount(accountId)) {
      call.online.delete(deviceId);
      dispatch(call, { type: 'device_left', deviceId });
    }
  });
  directory.on('deviceJoined', (accountId, deviceId) => {
    for (const call of live.ofAccount(accountId)) {
      if (!call.ranked.some((d) => d.deviceId === deviceId)) continue;
      call.online.add(deviceId);
      call.pushOnly.delete(deviceId);
    }
  });
}
