// swaks (Debian's SMTP test client) submitting mail the way a mail program does.
import { spawn } from 'node:child_process';

export interface SwaksResult {
  code: number | null;
  /** The whole transcript (what swaks sent and what the server answered). */
  transcript: string;
}

export interface Submission {
  port: number;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  /** The whole message (headers and body), as a mail program would send it. */
  message: Buffer | string;
  tls?: boolean;
  extraArgs?: string[];
}

export function swaks(submission: Submission): Promise<SwaksResult> {
  const args = [
    '--server',
    '127.0.0.1',
    '--port',
    String(submission.port),
    '--from',
    submission.from,
    '--to',
    submission.to.join(','),
    '--data',
    '-',
    '--timeout',
    '30',
    ...(submission.user ? ['--auth', 'PLAIN', '--auth-user', submission.user] : []),
    ...(submission.password ? ['--auth-password', submission.password] : []),
    ...(submission.tls ? ['--tls'] : []),
    ...(submission.extraArgs ?? []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('swaks', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let transcript = '';
    child.stdout.on('data', (chunk: Buffer) => (transcript += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (transcript += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, transcript }));
    child.stdin.end(submission.message);
  });
}
