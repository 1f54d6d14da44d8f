// The ring heuristic's choices, without a server: closed installed apps
// (rung by notification) rank by their last input before they closed.
import { describe, expect, it } from 'vitest';
import { rankDevices, type DeviceActivity } from '../../server/presence/ranking.js';

const NOW = 1_000_000_000;
const MINUTE = 60_000;

function device(fields: Partial<DeviceActivity> & { deviceId: string }): DeviceActivity {
  return {
    label: fields.deviceId,
    online: true,
    ringPreference: 'normal',
    lastInputAt: null,
    focused: false,
    visible: false,
    lastAnsweredAt: null,
    ...fields,
  };
}

describe('ranking devices', () => {
  it('ranks a closed installed app with fresh input above a connected idle device', () => {
    const desk = device({ deviceId: 'Desk', lastInputAt: NOW - 10 * MINUTE, visible: true });
    const phone = device({
      deviceId: 'Phone',
      online: false,
      pushable: true,
      lastInputAt: NOW - 30_000,
    });
    const { ranked, reasons } = rankDevices([desk, phone], NOW);
    expect(ranked.map((d) => [d.deviceId, d.byPush ?? false])).toEqual([
      ['Phone', true],
      ['Desk', false],
    ]);
    // In the order they ring.
    expect(reasons).toEqual([
      'Phone (installed app): rung by notification, last input 30 s ago',
      'Desk: input 10 min ago, visible',
    ]);
  });

  it('leaves out an offline device without a subscription, and one set to never ring', () => {
    const { ranked, reasons } = rankDevices(
      [
        device({ deviceId: 'Old laptop', online: false, lastInputAt: NOW - MINUTE }),
        device({ deviceId: 'Tablet', online: false, pushable: true, ringPreference: 'never' }),
      ],
      NOW,
    );
    expect(ranked).toEqual([]);
    expect(reasons).toEqual(['Old laptop: offline', 'Tablet: set to never ring']);
  });

  it('gives a closed app no focus or visibility credit', () => {
    const app = device({
      deviceId: 'Phone',
      online: false,
      pushable: true,
      focused: true,
      lastInputAt: NOW,
    });
    const open = device({ deviceId: 'Laptop', focused: true, lastInputAt: NOW });
    const { ranked } = rankDevices([app, open], NOW);
    expect(ranked.map((d) => d.deviceId)).toEqual(['Laptop', 'Phone']);
    expect(ranked[0]?.score).toBeGreaterThan(ranked[1]?.score ?? Infinity);
  });

  it('lets an "always ring" closed app join the first stage', () => {
    const { ranked } = rankDevices(
      [device({ deviceId: 'Phone', online: false, pushable: true, ringPreference: 'always' })],
      NOW,
    );
    expect(ranked).toMatchObject([{ deviceId: 'Phone', alwaysRing: true, byPush: true }]);
  });
});
