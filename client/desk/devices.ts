// The devices table: each of the sender's devices, its state, when it was last
// used, how it rings, whether it rings by notification when closed, and, for
// one that is not open now, a way to forget it (an old laptop, a lost phone).
import type { DeviceView } from '../../protocol/presence.js';
import { unwrap } from '../shared/ack.js';
import { api } from '../shared/api.js';
import type { VoxClientSocket } from '../shared/connection.js';
import { byId, h, timeAgo } from '../shared/dom.js';

const STATE_TEXT: Record<DeviceView['state'], string> = {
  active: 'active',
  idle: 'idle',
  sleeping: 'sleeping (another device is in use)',
  offline: 'offline',
};

export function renderDevices(
  socket: VoxClientSocket,
  devices: DeviceView[],
  thisDevice: string,
): void {
  const table = byId<HTMLTableElement>('devices');
  table.replaceChildren(
    h(
      'tr',
      {},
      h('th', {}, 'Device'),
      h('th', {}, 'State'),
      h('th', {}, 'Last used'),
      h('th', {}, 'Rings'),
      h('th', {}, h('span', { class: 'visually-hidden' }, 'Forget')),
    ),
    ...devices.map((device) => {
      const select = h(
        'select',
        { 'aria-label': `Ring ${device.label}` },
        ...(['normal', 'always', 'never'] as const).map((value) =>
          h(
            'option',
            { value, ...(device.ringPreference === value ? { selected: true } : {}) },
            value === 'normal' ? 'by activity' : value,
          ),
        ),
      );
      select.addEventListener('change', () => {
        void socket.emitWithAck('device:update', {
          deviceId: device.deviceId,
          ringPreference: select.value as DeviceView['ringPreference'],
        });
      });
      const here = device.deviceId === thisDevice;
      return h(
        'tr',
        { 'data-device-state': device.state },
        h(
          'td',
          {},
          device.label,
          here ? ' (this device)' : '',
          device.notificationRings ? notificationRings(device, here) : null,
        ),
        h('td', {}, STATE_TEXT[device.state]),
        h('td', {}, timeAgo(device.lastInputAt)),
        h('td', {}, select),
        h('td', {}, here || device.state !== 'offline' ? null : forgetButton(device)),
      );
    }),
  );
}

/**
 * "Rings by notification when closed", and for another device a button that
 * stops it (this device's own is in its panel, which also drops the browser's
 * subscription).
 */
function notificationRings(device: DeviceView, here: boolean): HTMLElement {
  const line = h('div', { class: 'muted' }, 'rings by notification when closed ');
  if (here) return line;
  const stop = h(
    'button',
    { type: 'button', 'aria-label': `Turn off notification rings for ${device.label}` },
    'Turn off',
  );
  onPress(stop, `/api/devices/${encodeURIComponent(device.deviceId)}/push`);
  line.append(stop);
  return line;
}

/** Forgets a closed device: it is no longer listed nor rung (listed again if it ever opens Voxreply). */
function forgetButton(device: DeviceView): HTMLElement {
  const forget = h(
    'button',
    {
      type: 'button',
      'aria-label': `Forget ${device.label}`,
      title: 'No longer list it or ring it by notification (until it opens Voxreply again)',
    },
    'Forget',
  );
  onPress(forget, `/api/devices/${encodeURIComponent(device.deviceId)}`);
  return forget;
}

/** The button DELETEs `path`; the server then lists the devices again (an error shows in the notice). */
function onPress(button: HTMLButtonElement, path: string): void {
  button.addEventListener('click', () => {
    button.disabled = true;
    api('DELETE', path).catch((error: unknown) => {
      button.disabled = false;
      byId('notice').textContent = error instanceof Error ? error.message : String(error);
    });
  });
}

export async function renameDevice(
  socket: VoxClientSocket,
  deviceId: string,
  label: string,
): Promise<DeviceView[]> {
  return unwrap(await socket.emitWithAck('device:update', { deviceId, label }));
}
