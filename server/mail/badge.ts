// The live status badge a device shows (GET /b/<token>.svg|.png): a small
// pill with a coloured dot and the sender's status as they allow it shown.
// SVG is drawn here; PNG (what most mail clients display) is the same SVG
// rasterized by resvg with a font shipped by the system (DejaVu Sans).
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import type { SenderStatus } from '../../protocol/accounts.js';

/** `neutral`: unknown link, or a sender who does not show their status. */
export type BadgeState = SenderStatus | 'neutral';

const LOOK: Record<BadgeState, { label: string; dot: string }> = {
  available: { label: 'Available', dot: '#16a34a' },
  busy: { label: 'In a call', dot: '#dc2626' },
  do_not_disturb: { label: 'Do not disturb', dot: '#dc2626' },
  away: { label: 'Away', dot: '#d97706' },
  offline: { label: 'Offline', dot: '#6b7280' },
  neutral: { label: 'Reply by voice', dot: '#1d4ed8' },
};

const WIDTH = 132;
const HEIGHT = 28;
const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

export function badgeSvg(state: BadgeState): string {
  const { label, dot } = LOOK[state];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(WIDTH)}" height="${String(HEIGHT)}" viewBox="0 0 ${String(WIDTH)} ${String(HEIGHT)}" role="img" aria-label="${label}">`,
    `<rect x="0.5" y="0.5" width="${String(WIDTH - 1)}" height="${String(HEIGHT - 1)}" rx="14" fill="#ffffff" stroke="#d1d5db"/>`,
    `<circle cx="15" cy="14" r="5" fill="${dot}"/>`,
    `<text x="27" y="18.5" font-family="DejaVu Sans, Arial, sans-serif" font-size="12" fill="#111827">${label}</text>`,
    '</svg>',
  ].join('');
}

/** The PNG of a badge, rendered once per state and kept. */
export class BadgePngs {
  readonly #cache = new Map<BadgeState, Buffer>();
  readonly #fontFiles = FONT_FILES.filter((file) => existsSync(file));

  png(state: BadgeState): Buffer {
    let png = this.#cache.get(state);
    if (!png) {
      const resvg = new Resvg(badgeSvg(state), {
        // Twice the size, for sharp text on high-density screens.
        fitTo: { mode: 'width', value: WIDTH * 2 },
        font: {
          fontFiles: this.#fontFiles,
          loadSystemFonts: false,
          defaultFontFamily: 'DejaVu Sans',
        },
      });
      png = resvg.render().asPng();
      this.#cache.set(state, png);
    }
    return png;
  }
}
