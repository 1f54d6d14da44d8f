// SIP call set-up rate through the gateway: sipp (as phones behind a
// carrier's edge) calls our numbers at rising rates; each number rings one
// sender whose desk device (a Socket.IO client) answers at once; each call
// holds 1 s (INVITE, 200, ACK, BYE) with its own router and phone leg. For
// each rate: calls completed and failed, the most calls held at once, INVITE
// to 200 time (p50/p99) and the server's CPU. Then the same rates through a
// Kamailio stateful proxy to a sipp UAS as the side-by-side anchor (SIP only,
// no media, no ring plan).
//
//   npm run bench:sip -- [rates=25,50,100,150] [seconds=10]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePortRange } from '../../test/support/free-port.js';
import { projectRoot } from '../../test/support/project.js';
import { connectDevice, randomEmail, signUp } from '../../test/support/sender.js';
import { startServer } from '../../test/support/server-process.js';
import { LOAD_SETTINGS } from '../lib/load-settings.js';
import { numbersFile } from '../../test/support/sipp.js';

/** Answers the server refused (a device still in its previous call). */
let refusedAnswers = 0;
const rates = (process.argv[2] ?? '25,50,100,150').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 10);
const EDGE_IP = '127.0.0.3';
/** One sender per number; enough for the highest rate's calls held at once. */
const senders = Math.ceil(Math.max(...rates) * 4);

interface StepResult {
  rate: number;
  completed: number;
  failed: number;
  maxConcurrent: number;
  p50: number;
  p99: number;
  cpuPercent: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * CPU seconds (user + system) used so far by the processes `wanted` picks
 * (by pid and command name, which Linux cuts to 15 characters), from /proc.
 */
function cpuSeconds(wanted: (pid: number, command: string) => boolean): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!wanted(Number(entry), command)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / 100;
}

/** Runs sipp with `args` in a fresh folder; returns the folder and its exit code. */
function sipp(args: string[]): Promise<{ dir: string; code: number | null }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-bench-sip-'));
  const child = spawn(
    'sipp',
    [...args, '-nostdin', '-trace_stat', '-fd', '1', '-trace_rtt', '-rtt_freq', '1'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  return new Promise((resolve) => child.once('exit', (code) => resolve({ dir, code })));
}

/** One rate: runs sipp, reads its results and the CPU `cpu` counted meanwhile. */
async function measuredStep(
  label: string,
  rate: number,
  cpu: () => number,
  run: () => Promise<{ dir: string }>,
): Promise<StepResult> {
  const cpuBefore = cpu();
  const started = Date.now();
  const { dir } = await run();
  const wall = (Date.now() - started) / 1000;
  const step = { rate, cpuPercent: ((cpu() - cpuBefore) / wall) * 100, ...readSippResults(dir) };
  process.stdout.write(`${label} ${String(rate)}/s: ${JSON.stringify(step)}\n`);
  return step;
}

/** sipp as phones behind the carrier's edge: `count` calls at `rate`/s to the numbers in `numbers`. */
async function callNumbers(
  scenario: string,
  sipPort: number,
  numbers: string,
  rate: number,
  count: number,
): Promise<{ dir: string; code: number | null }> {
  return sipp([
    '-sf',
    path.join(projectRoot, `test/gateway/scenarios/${scenario}.xml`),
    `127.0.0.1:${String(sipPort)}`,
    '-i',
    EDGE_IP,
    '-p',
    String(await freePortRange(1)),
    '-inf',
    numbers,
    '-r',
    String(rate),
    '-m',
    String(count),
    '-timeout',
    `${String(Math.ceil(count / rate) + 40)}s`,
  ]);
}

/** Totals, peak concurrency and INVITE-to-200 times from sipp's stat and rtt files. */
function readSippResults(dir: string): Omit<StepResult, 'rate' | 'cpuPercent'> {
  const files = readdirSync(dir);
  const stat = files.find((f) => f.endsWith('_.csv') || (f.endsWith('.csv') && !f.includes('rtt')));
  const rtt = files.find((f) => f.includes('_rtt.csv'));
  const rows = stat ? readFileSync(path.join(dir, stat), 'utf8').trim().split('\n') : [];
  const header = rows[0]?.split(';') ?? [];
  const column = (row: string | undefined, name: string): number =>
    Number(row?.split(';')[header.indexOf(name)] ?? Number.NaN);
  const last = rows.at(-1);
  const times = rtt
    ? readFileSync(path.join(dir, rtt), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => Number(line.split(';')[1]))
        .filter((ms) => Number.isFinite(ms))
        .sort((a, b) => a - b)
    : [];
  return {
    completed: column(last, 'SuccessfulCall(C)'),
    failed: column(last, 'FailedCall(C)'),
    maxConcurrent: Math.max(0, ...rows.slice(1).map((row) => column(row, 'CurrentCall'))),
    p50: percentile(times, 50),
    p99: percentile(times, 99),
  };
}

async function voxreplySteps(): Promise<{ steps: StepResult[]; leftovers: string }> {
  const dids = Array.from({ length: senders }, (_, i) => `+1555100${String(i).padStart(4, '0')}`);
  const emails = dids.map(() => randomEmail('Bench Sender'));
  // A sender with no device online: calls to this number fail (480).
  const unanswered = { number: '+15552000000', email: randomEmail('Away Sender') };
  const sipPort = await freePortRange(1);
  const server = await startServer({
    ...LOAD_SETTINGS,
    LOG_LEVEL: 'warn',
    SIP_PORT: String(sipPort),
    SIP_TRUNKS: JSON.stringify([
      { name: 'carrier', host: '127.0.0.2', port: 5060, allowFrom: [EDGE_IP], codecs: ['PCMU'] },
    ]),
    SIP_NUMBERS: JSON.stringify([
      ...dids.map((number, i) => ({ number, email: emails[i] })),
      unanswered,
    ]),
  });
  // The server process and its mediasoup workers (not this process's clients).
  const serverCpu = (): number =>
    cpuSeconds(
      (pid, command) => pid === server.process.pid || command.startsWith('mediasoup-work'),
    );
  const results: StepResult[] = [];
  try {
    await signUp(server.url, 'Away Sender', unanswered.email);
    process.stdout.write(`signing up ${String(senders)} senders with an answering device…\n`);
    for (const email of emails) {
      const sender = await signUp(server.url, 'Bench Sender', email);
      const device = await connectDevice(server.url, sender, 'Desk');
      device.socket.on('call:ring', (call) => {
        void device.socket.emitWithAck('call:answer', { callId: call.callId }).then((ack) => {
          if (!ack.ok) refusedAnswers += 1; // e.g. still in its previous call: that call fails
        });
      });
    }
    const numbers = numbersFile(dids);
    for (const rate of rates) {
      const step = await measuredStep('voxreply', rate, serverCpu, () =>
        callNumbers('phone-calls-number', sipPort, numbers, rate, rate * seconds),
      );
      results.push(step);
    }
    const leftovers = await failedCallsLeaveNothing(server.url, sipPort, unanswered.number);
    return { steps: results, leftovers };
  } finally {
    await server.stop();
  }
}

/** 1,000 calls nobody answers (480), then what is still open: should be nothing. */
async function failedCallsLeaveNothing(
  url: string,
  sipPort: number,
  number: string,
): Promise<string> {
  const { dir } = await callNumbers(
    'phone-calls-number-unanswered',
    sipPort,
    numbersFile([number]),
    100,
    1000,
  );
  const { completed, failed } = readSippResults(dir);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const gauge = (name: string): string =>
    metrics
      .split('\n')
      .find((line) => line.startsWith(`${name} `))
      ?.split(' ')[1] ?? '?';
  return `After every call above and 1,000 unanswered ones (${String(completed)} got their 480, ${String(failed)} failed), still open: routers ${gauge('voxreply_mediasoup_routers')}, SIP dialogs ${gauge('voxreply_sip_dialogs')}, phone legs ${gauge('voxreply_phone_legs')}.`;
}

/** Kamailio as a stateful proxy in front of sipp's built-in UAS. */
async function kamailioSteps(): Promise<StepResult[]> {
  const proxyPort = await freePortRange(1);
  const uasPort = await freePortRange(1);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-kamailio-'));
  const config = path.join(dir, 'kamailio.cfg');
  writeFileSync(config, kamailioConfig(proxyPort, uasPort));
  const kamailio = spawn(
    'kamailio',
    ['-f', config, '-DD', '-E', '-m', '256', '-P', path.join(dir, 'k.pid')],
    { stdio: 'ignore' },
  );
  const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.8', '-p', String(uasPort), '-nostdin'], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const results: StepResult[] = [];
  try {
    const kamailioCpu = (): number => cpuSeconds((_, command) => command === 'kamailio');
    for (const rate of rates) {
      const step = await measuredStep('kamailio', rate, kamailioCpu, async () =>
        sipp([
          '-sn',
          'uac',
          `127.0.0.7:${String(proxyPort)}`,
          '-s',
          '+15550001111',
          '-i',
          '127.0.0.9',
          '-p',
          String(await freePortRange(1)),
          '-d',
          '1000',
          '-r',
          String(rate),
          '-m',
          String(rate * seconds),
          '-timeout',
          `${String(seconds + 40)}s`,
        ]),
      );
      results.push(step);
    }
  } finally {
    uas.kill('SIGKILL');
    kamailio.kill('SIGTERM');
  }
  return results;
}

function kamailioConfig(port: number, uasPort: number): string {
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=2
listen=udp:127.0.0.7:${String(port)}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  # sipp's built-in UAC sends ACK and BYE to the proxy without Route headers:
  # in-dialog requests go on to the UAS as well.
  if (has_totag()) {
    if (!loose_route()) { $du = "sip:127.0.0.8:${String(uasPort)}"; }
    t_relay();
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  record_route();
  $du = "sip:127.0.0.8:${String(uasPort)}";
  t_relay();
}
`;
}

function table(title: string, steps: StepResult[]): string {
  const lines = [
    `### ${title}`,
    '',
    '| rate (calls/s) | completed | failed | most held at once | INVITE→200 p50 | p99 | CPU |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...steps.map(
      (s) =>
        `| ${String(s.rate)} | ${String(s.completed)} | ${String(s.failed)} | ${String(s.maxConcurrent)} | ${String(s.p50)} ms | ${String(s.p99)} ms | ${s.cpuPercent.toFixed(0)} % |`,
    ),
  ];
  return lines.join('\n');
}

const machine = `${String(os.cpus().length)}× ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
const { steps: voxreply, leftovers } = await voxreplySteps();
const kamailio = await kamailioSteps();
const best = voxreply.filter((s) => s.failed === 0 && s.completed === s.rate * seconds).at(-1);
process.stdout.write(
  `\n${machine}, ${String(seconds)} s per rate, 1 s calls\n\n${table('Voxreply gateway (inbound, answered by a device)', voxreply)}\n\n${table('Kamailio stateful proxy → sipp UAS (anchor)', kamailio)}\n\nHighest rate with 0 failed calls: ${best ? String(best.rate) : 'none'} calls/s\nAnswers refused (device still busy): ${String(refusedAnswers)}\n${leftovers}\n`,
);
