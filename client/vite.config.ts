// Builds the browser apps into dist/client: one HTML entry per app, shared chunks
// under /assets/. The server maps /r/:token, /app and /diag to these pages. The
// desk app's manifest, icons and service worker go under /app/ (build/desk-app.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { deskApp } from './build/desk-app.js';

const page = (name: string) => fileURLToPath(new URL(`./${name}/index.html`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [deskApp()],
  build: {
    outDir: fileURLToPath(new URL('../dist/client', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { reply: page('reply'), desk: page('desk'), diag: page('diag') },
    },
  },
});
