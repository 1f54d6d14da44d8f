// sipp (Debian's sip-tester) as a real SIP peer: a carrier answering our
// requests, or a client running one scenario against the gateway.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from './project.js';

const scenario = (name: string): string =>
  path.join(projectRoot, 'test/gateway/scenarios', `${name}.xml`);

/**
 * A sipp server running `name` on ip:port until stopped. Use another loopback
 * address than the gateway's (127.0.0.2): a carrier is never on our own address.
 */
export function sippServer(
  name: string,
  ip: string,
  port: number,
  extraArgs: string[] = [],
): { process: ChildProcess; stop: () => Promise<void> } {
  const child = spawn(
    'sipp',
    ['-sf', scenario(name), '-i', ip, '-p', String(port), '-nostdin', ...extraArgs],
    // Scenarios name their media files relative to the project.
    { stdio: 'ignore', cwd: projectRoot },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Runs `name` once against target ("127.0.0.1:5060") from ip:localPort;
 * resolves sipp's exit code (0: the scenario passed).
 */
export function sippClient(
  name: string,
  target: string,
  localPort: number,
  ip = '127.0.0.1',
  extraArgs: string[] = [],
): Promise<number | null> {
  const child = spawn(
    'sipp',
    [
      '-sf',
      scenario(name),
      target,
      '-i',
      ip,
      '-p',
      String(localPort),
      '-m',
      '1',
      '-nostdin',
      '-timeout',
      '10s',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * An injection file (-inf) with one number per call, used in order: a
 * scenario reads the number as [field0].
 */
export function numbersFile(numbers: readonly string[]): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'voxreply-sipp-')), 'numbers.csv');
  writeFileSync(file, ['SEQUENTIAL', ...numbers.map((n) => `${n};`), ''].join('\n'));
  return file;
}
