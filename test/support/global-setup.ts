// The tests run the built server (as the start command does) and real peers;
// say clearly what is missing instead of failing obscurely.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './project.js';

export default function setup(): void {
  const missing: string[] = [];
  if (!existsSync(path.join(projectRoot, 'dist/server/main.js')))
    missing.push('dist/server (npm run build)');
  if (!existsSync(path.join(projectRoot, 'dist/client/reply/index.html')))
    missing.push('dist/client (npm run build)');
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'))
    missing.push('chromium (apt-get install chromium)');
  for (const [tool, args, hint] of [
    ['sox', ['--version'], 'sox (apt-get install sox)'],
    ['sipp', ['-v'], 'sipp (apt-get install sip-tester)'],
  ] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch (error) {
      // sipp -v exits non-zero after printing its version: only "not found" counts.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') missing.push(hint);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `cannot run the tests, missing: ${missing.join(', ')}. Run ./scripts/test.sh, which installs them.`,
    );
  }
}
