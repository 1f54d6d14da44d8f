// The desk app as an installable web app, built beside the pages: its manifest
// (/app/manifest.webmanifest), icons (/app/icons/*.png) and service worker
// (/app/sw.js). The worker is a second, small build that runs once the pages
// are written, because it carries the list of files the desk page loads, and
// those names are hashed only then. A new desk build changes the list, so
// browsers see a new worker and cache the new shell.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin, type ResolvedConfig, type Rolldown } from 'vite';
import type { Shell } from '../sw/shell-cache.js';
import { renderIcons, THEME_COLOR } from './app-icons.js';

const WORKER_ENTRY = fileURLToPath(new URL('../sw/sw.ts', import.meta.url));
const MANIFEST_FILE = 'app/manifest.webmanifest';
/** From client/public: copied as is, so not in the bundle. */
const PUBLIC_SHELL_FILES = ['/assets/favicon.svg'];

export function deskApp(): Plugin {
  let config: ResolvedConfig | undefined;
  let shell: Shell | undefined;
  return {
    name: 'voxreply-desk-app',
    apply: 'build',
    // After Vite's own plugins: the desk's HTML is in the bundle by then.
    enforce: 'post',
    configResolved(resolved) {
      config = resolved;
    },
    generateBundle(_options, bundle) {
      const hash = createHash('sha256');
      const icons = renderIcons();
      for (const icon of icons) {
        this.emitFile({ type: 'asset', fileName: icon.fileName, source: icon.png });
        hash.update(icon.png);
      }
      const manifest = JSON.stringify(webManifest(icons), null, 2);
      this.emitFile({ type: 'asset', fileName: MANIFEST_FILE, source: manifest });
      hash.update(manifest);
      const files = deskFiles(bundle);
      for (const file of files) {
        const output = bundle[file];
        if (output) hash.update(output.type === 'chunk' ? output.code : output.source);
      }
      shell = {
        version: hash.digest('hex').slice(0, 16),
        files: [
          '/app',
          ...files.filter((file) => file !== 'desk/index.html').map((file) => `/${file}`),
          ...PUBLIC_SHELL_FILES,
          `/${MANIFEST_FILE}`,
          ...icons.map((icon) => `/${icon.fileName}`),
        ],
      };
    },
    async writeBundle(options) {
      if (!shell || !options.dir) throw new Error('the desk app shell was not collected');
      await build({
        configFile: false,
        root: path.dirname(WORKER_ENTRY),
        publicDir: false,
        logLevel: config?.logLevel ?? 'warn',
        define: { VOXREPLY_SHELL: JSON.stringify(shell) },
        build: {
          outDir: path.join(options.dir, 'app'),
          emptyOutDir: false,
          target: 'es2022',
          rollupOptions: {
            input: WORKER_ENTRY,
            // A classic script: every browser with service workers runs it.
            output: { format: 'iife', entryFileNames: 'sw.js' },
          },
        },
      });
    },
  };
}

function webManifest(icons: ReturnType<typeof renderIcons>) {
  return {
    id: '/app',
    name: 'Voxreply',
    short_name: 'Voxreply',
    description: 'Answer the calls your email recipients make with "Reply by voice".',
    start_url: '/app',
    scope: '/app',
    display: 'standalone',
    theme_color: THEME_COLOR,
    background_color: '#ffffff',
    icons: icons.map((icon) => ({
      src: `/${icon.fileName}`,
      sizes: `${icon.size}x${icon.size}`,
      type: 'image/png',
      purpose: icon.purpose,
    })),
  };
}

/** The desk page and every file it loads (scripts, styles, their assets), as bundle names. */
function deskFiles(bundle: Rolldown.OutputBundle): string[] {
  const entry = Object.values(bundle).find(
    (output): output is Rolldown.OutputChunk =>
      output.type === 'chunk' && output.isEntry && output.name === 'desk',
  );
  if (!entry) throw new Error('no desk entry in the bundle');
  const files = new Set<string>(['desk/index.html']);
  const visit = (chunk: Rolldown.OutputChunk): void => {
    if (files.has(chunk.fileName)) return;
    files.add(chunk.fileName);
    for (const css of chunk.viteMetadata?.importedCss ?? []) files.add(css);
    for (const asset of chunk.viteMetadata?.importedAssets ?? []) files.add(asset);
    for (const name of [...chunk.imports, ...chunk.dynamicImports]) {
      const next = bundle[name];
      if (next?.type === 'chunk') visit(next);
    }
  };
  visit(entry);
  return [...files].filter((file) => file in bundle);
}
