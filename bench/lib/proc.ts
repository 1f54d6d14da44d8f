// What one process has used so far, from Linux's /proc (the benches' own CPU
// and memory readings of servers and workers they started).
import { readFileSync } from 'node:fs';

/** Clock ticks per second in /proc/<pid>/stat (_SC_CLK_TCK on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) and resident memory of one process. */
export function processUsage(pid: number): { cpu: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rssKiB = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return {
    cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    rssBytes: Number(rssKiB) * 1024,
  };
}
