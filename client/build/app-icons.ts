// The installed desk app's icons, drawn here as SVG and rasterized by resvg at
// build time (no binary files in the repository): the favicon's microphone in
// a speech bubble, on the app's green.
import { Resvg } from '@resvg/resvg-js';

export const THEME_COLOR = '#1a7f37';

export interface AppIcon {
  /** Under dist/client, as served. */
  fileName: string;
  size: number;
  purpose: 'any' | 'maskable';
  png: Buffer;
}

/** The bubble and the microphone (client/public/assets/favicon.svg's), in a 512 box. */
const GLYPH = `
  <path fill="#fff" d="M176 104h160a72 72 0 0 1 72 72v120a72 72 0 0 1-72 72H252l-102 60 18-60a72 72 0 0 1-64-72V176a72 72 0 0 1 72-72z"/>
  <g transform="translate(128 116) scale(8)" fill="none" stroke="${THEME_COLOR}" stroke-width="2" stroke-linecap="round">
    <path d="M12 8a4 4 0 0 1 8 0v8a4 4 0 0 1-8 0zM9 15a7 7 0 0 0 14 0M16 22v4"/>
  </g>`;

/**
 * `any`: a rounded square, as launchers show it. `maskable`: the colour to
 * every edge and the glyph inside the central circle (40% radius) that every
 * mask shape keeps.
 */
function svg(purpose: AppIcon['purpose']): string {
  const background =
    purpose === 'any'
      ? `<rect width="512" height="512" rx="112" fill="${THEME_COLOR}"/>`
      : `<rect width="512" height="512" fill="${THEME_COLOR}"/>`;
  const glyph =
    purpose === 'any'
      ? GLYPH
      : `<g transform="translate(256 256) scale(0.78) translate(-256 -256)">${GLYPH}</g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">${background}${glyph}</svg>`;
}

export function renderIcons(): AppIcon[] {
  return ([192, 512] as const).flatMap((size) =>
    (['any', 'maskable'] as const).map((purpose) => ({
      fileName: `app/icons/${purpose === 'any' ? 'icon' : 'maskable'}-${size}.png`,
      size,
      purpose,
      png: new Resvg(svg(purpose), { fitTo: { mode: 'width', value: size } }).render().asPng(),
    })),
  );
}
