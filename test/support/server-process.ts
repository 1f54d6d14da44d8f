// Starts the built server (dist/, as `npm start` runs it) as a real child
// process on a free port with its own data dir, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, freePortRange } from './free-port.js';
import { projectRoot } from './project.js';

export interface RunningServer {
  url: string;
  port: number;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM, then the exit code and how long the exit took. */
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; ms: number }>;
}

export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const workers = Number(env.MEDIASOUP_WORKERS ?? '1');
  const webRtcServerPort = await freePortRange(workers);
  // A test that restarts a server on the same data passes DATA_DIR (and removes it).
  const ownDataDir = !env.DATA_DIR;
  const dataDir = env.DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'voxreply-test-'));
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist/server/main.js')], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATA_DIR: dataDir,
      MEDIASOUP_WORKERS: '1',
      WEBRTC_SERVER_PORT: String(webRtcServerPort),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let stopping = false;
  let healthy = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      // A server that dies on its own is a bug: show why.
      if (healthy && !stopping)
        console.error(`server exited unexpectedly (${code ?? signal}):\n${output}`);
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const started = Date.now();
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const code = await exited;
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    return { code, ms: Date.now() - started };
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.status === 200) {
        healthy = true;
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`server did not become healthy in 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, port, process: child, output: () => output, stop };
}
