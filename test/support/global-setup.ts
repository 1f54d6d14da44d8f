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
  try {
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
  } catch {
    missing.push('sox (apt-get install sox)');
  }
  if (missing.length > 0) {
    throw new Error(
      `cannot run the tests, missing: ${missing.join(', ')}. Run ./scripts/test.sh, which installs them.`,
    );
  }
}
