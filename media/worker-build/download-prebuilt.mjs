// Downloads mediasoup's own prebuilt worker for the installed package version
// (the same release asset its postinstall fetches) into a folder.
// Usage: node download-prebuilt.mjs <mediasoup package dir> <dest dir>
// Exits 0 when the binary was fetched and unpacked, 1 otherwise (e.g. offline).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [packageDir, destDir] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
const kernelMajor = os.release().split('.')[0];
const asset = `mediasoup-worker-${pkg.version}-${os.platform()}-${os.arch()}-kernel${kernelMajor}.tgz`;
const base =
  process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL ??
  `${pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')}/releases/download`;
const url = `${base}/${pkg.version}/${asset}`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) {
    console.error(`[voxreply] prebuilt worker not available: HTTP ${response.status} for ${url}`);
    process.exit(1);
  }
  mkdirSync(destDir, { recursive: true });
  const tarball = path.join(destDir, asset);
  writeFileSync(tarball, Buffer.from(await response.arrayBuffer()));
  execFileSync('tar', ['xzf', tarball, '-C', destDir]);
  console.error(`[voxreply] downloaded ${asset}`);
} catch (error) {
  const reason = error instanceof Error ? (error.cause?.code ?? error.message) : String(error);
  console.error(`[voxreply] prebuilt worker download failed (${reason})`);
  process.exit(1);
}
