// Whether a stranger can tell which addresses have accounts from how long a
// refusal takes (issue 16): wrong passwords for an address with an account and
// for addresses without one, over HTTP log-in and relay AUTH, one attempt at a
// time, known and unknown interleaved so drifting load touches both alike. The
// server does the same scrypt work for both; what is left is in the table.
// (The tests check the answers are identical; timing belongs here, not there.)
//
//   npm run bench:accounts -- [attempts=200]
import { freePort } from '../../test/support/free-port.js';
import { startMailSink } from '../../test/support/mail-sink.js';
import { randomEmail, signUp } from '../../test/support/sender.js';
import { startServer } from '../../test/support/server-process.js';
import { authPlain, smtpClient } from '../../test/support/smtp-client.js';

const attempts = Number(process.argv[2] ?? 200);
const WRONG = 'not the password';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const sink = await startMailSink();
const relayPort = await freePort();
const server = await startServer({
  MAIL_SMARTHOST: sink.url,
  SMTP_RELAY_PORT: String(relayPort),
  // Every attempt here fails; the limits must not end the run early.
  RATE_LIMIT_MULTIPLIER: '10000',
  LOG_LEVEL: 'warn',
});

/** The time to a refused HTTP log-in, and the answer (status and body). */
async function httpLogIn(email: string): Promise<{ ms: number; answer: string }> {
  const body = JSON.stringify({ email, password: WRONG });
  const started = performance.now();
  const response = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  return { ms: performance.now() - started, answer: `${response.status} ${text}` };
}

/** The time from AUTH PLAIN to its refusal on a fresh connection, and the reply. */
async function relayAuth(email: string): Promise<{ ms: number; answer: string }> {
  const client = await smtpClient(relayPort);
  try {
    await client.say();
    await client.say('EHLO bench.example');
    const started = performance.now();
    const answer = await client.say(`AUTH PLAIN ${authPlain(email, WRONG)}`);
    return { ms: performance.now() - started, answer };
  } finally {
    client.socket.destroy();
  }
}

interface Row {
  path: string;
  address: string;
  times: number[];
  answers: Set<string>;
}

async function measure(
  path: string,
  attempt: (email: string) => Promise<{ ms: number; answer: string }>,
  known: string,
): Promise<Row[]> {
  const knownRow: Row = { path, address: 'known', times: [], answers: new Set() };
  const unknownRow: Row = { path, address: 'unknown', times: [], answers: new Set() };
  // A few of each first: the first scrypt and the first connections warm up.
  for (let i = 0; i < 5; i++) {
    await attempt(known);
    await attempt(randomEmail('Nobody Here'));
  }
  for (let i = 0; i < attempts; i++) {
    for (const [row, email] of [
      [knownRow, known],
      [unknownRow, randomEmail('Nobody Here')],
    ] as const) {
      const { ms, answer } = await attempt(email);
      row.times.push(ms);
      row.answers.add(answer);
    }
  }
  return [knownRow, unknownRow];
}

try {
  const known = (await signUp(server.url, 'Ada Lovelace')).email;
  const rows = [
    ...(await measure('HTTP log-in', httpLogIn, known)),
    ...(await measure('relay AUTH', relayAuth, known)),
  ];
  console.log(
    `\n${attempts} wrong passwords per row, one at a time, known and unknown interleaved; ${process.version}\n`,
  );
  console.log(
    '| path | address | attempts | answer | p50 (ms) | p99 (ms) | unknown p50 / known p50 |',
  );
  console.log('| --- | --- | ---: | --- | ---: | ---: | ---: |');
  for (const row of rows) {
    const sorted = [...row.times].sort((a, b) => a - b);
    const knownRow = rows.find((other) => other.path === row.path && other.address === 'known');
    const knownP50 = percentile(
      [...(knownRow?.times ?? [])].sort((a, b) => a - b),
      50,
    );
    const answer =
      row.answers.size === 1 ? ([...row.answers][0] ?? '').split('\n').at(-1) : 'differ';
    const same =
      row.address === 'unknown' && knownRow
        ? ` (${[...row.answers].join() === [...knownRow.answers].join() ? 'same' : 'NOT the same'} as known)`
        : '';
    console.log(
      `| ${row.path} | ${row.address} | ${row.times.length} | ${answer ?? ''}${same} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${row.address === 'unknown' ? (percentile(sorted, 50) / knownP50).toFixed(2) : ''} |`,
    );
  }
} finally {
  await server.stop();
  await sink.close();
}
