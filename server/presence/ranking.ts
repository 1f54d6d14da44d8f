// The ring heuristic (docs/design.md, "Ranking"): which of a sender's devices to ring first, and
// why. Pure functions of the devices' activity and the clock.
import type { RingPreference } from '../../protocol/presence.js';

export interface DeviceActivity {
  deviceId: string;
  label: string;
  online: boolean;
  ringPreference: RingPreference;
  /** Epoch ms of the last real input, if any was seen. */
  lastInputAt: number | null;
  focused: boolean;
  visible: boolean;
  /** Epoch ms this device last answered a call. */
  lastAnsweredAt: number | null;
  /**
   * Not connected, but its installed app can be rung by notification (it
   * holds a Web Push subscription): it ranks by its last input before it closed.
   */
  pushable?: boolean;
}

export interface RankedDevice {
  deviceId: string;
  label: string;
  score: number;
  alwaysRing: boolean;
  /** Rung by notification (Web Push): its app is closed. */
  byPush?: boolean;
  /** "Laptop: input 3 s ago, focused" */
  reason: string;
}

/** Input recency halves in weight every minute. */
export const INPUT_HALF_LIFE_MS = 60_000;
/** A device with input this recent counts as active. */
export const ACTIVE_WITHIN_MS = 60_000;

const WEIGHT = { input: 100, focused: 20, visible: 10, lastAnswered: 5 };

export function describeAgo(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/**
 * The ringable devices best first, and every device's line for the ring
 * decision in the same order (the ones left out last): the history reads as
 * the order the devices were rung in.
 */
export function rankDevices(
  devices: DeviceActivity[],
  now: number,
): { ranked: RankedDevice[]; reasons: string[] } {
  const lastAnswerer = devices.reduce<DeviceActivity | undefined>(
    (best, d) =>
      d.lastAnsweredAt !== null && (!best || d.lastAnsweredAt > (best.lastAnsweredAt ?? 0))
        ? d
        : best,
    undefined,
  );
  const skipped: string[] = [];
  const ranked: RankedDevice[] = [];
  for (const device of devices) {
    const byPush = !device.online && device.pushable === true;
    if (!device.online && !byPush) {
      skipped.push(`${device.label}: offline`);
      continue;
    }
    if (device.ringPreference === 'never') {
      skipped.push(`${device.label}: set to never ring`);
      continue;
    }
    // A closed app is neither focused nor visible: its last input alone ranks it.
    const facts: string[] = byPush ? ['rung by notification'] : [];
    let score = 0;
    if (device.lastInputAt === null) {
      facts.push('no input seen');
    } else {
      const ago = Math.max(0, now - device.lastInputAt);
      score += WEIGHT.input * 2 ** (-ago / INPUT_HALF_LIFE_MS);
      facts.push(`${byPush ? 'last input' : 'input'} ${describeAgo(ago)} ago`);
    }
    if (byPush) {
      // Closed: no focus or visibility to tell.
    } else if (device.focused) {
      score += WEIGHT.focused;
      facts.push('focused');
    } else if (device.visible) {
      score += WEIGHT.visible;
      facts.push('visible');
    } else {
      facts.push('in the background');
    }
    if (lastAnswerer?.deviceId === device.deviceId) {
      score += WEIGHT.lastAnswered;
      facts.push('answered last');
    }
    if (device.ringPreference === 'always') facts.push('always rings');
    const name = byPush ? `${device.label} (installed app)` : device.label;
    const reason = `${name}: ${facts.join(', ')}`;
    ranked.push({
      deviceId: device.deviceId,
      label: device.label,
      score,
      alwaysRing: device.ringPreference === 'always',
      ...(byPush ? { byPush } : {}),
      reason,
    });
  }
  ranked.sort((a, b) => b.score - a.score);
  return { ranked, reasons: [...ranked.map((device) => device.reason), ...skipped] };
}
