// A throwaway coturn (Debian's turnserver) on loopback with a shared secret,
// the way an operator runs one for Voxreply (use-auth-secret), and what it logs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, freePortRange } from './free-port.js';

export interface Coturn {
  /** turn:127.0.0.1:<port>?transport=udp */
  url: string;
  secret: string;
  /** Everything it logged so far. */
  log: () => string;
  stop: () => Promise<void>;
}

export async function startCoturn(): Promise<Coturn> {
  const port = await freePort();
  const relayPorts = await freePortRange(20);
  const secret = randomBytes(24).toString('base64url');
  // Its pid file and (unused) user database, away from /var.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-coturn-'));
  const child = spawn(
    'turnserver',
    [
      '-n', // no configuration file: everything is here
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--listening-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--relay-ip=127.0.0.1',
      `--min-port=${relayPorts}`,
      `--max-port=${relayPorts + 19}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=voxreply.test',
      // The media server is on loopback here; a real deployment relays to public addresses.
      '--allow-loopback-peers',
      `--pidfile=${path.join(dir, 'turnserver.pid')}`,
      `--db=${path.join(dir, 'turndb')}`,
      '--log-file=stdout',
      '--simple-log',
      '--verbose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!output.includes(`UDP listener opened on: 127.0.0.1:${port}`)) {
    if (child.exitCode !== null) throw new Error(`turnserver exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`turnserver did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    secret,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
