// The SMTP relay's throughput and latency: nodemailer (as mail programs) submits
// messages with three recipients each through the built server's relay to a
// sink SMTP server, with several connections at once. For each message size:
// messages per second, the time to 250 (the spool's fsyncs included) and from
// the start of submission until all three copies (each with its own device)
// reached the sink, p50 and p99; the server's CPU and resident memory.
//
//   npm run bench:mail -- [messages=300] [connections=4]
import { randomBytes } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { freePort } from '../../test/support/free-port.js';
import { startMailSink } from '../../test/support/mail-sink.js';
import { randomEmail, signUp } from '../../test/support/sender.js';
import { startServer } from '../../test/support/server-process.js';
import { processUsage } from '../lib/proc.js';

const messages = Number(process.argv[2] ?? 300);
const connections = Number(process.argv[3] ?? 4);
const PASSWORD = 'correct horse battery';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const sink = await startMailSink();
const relayPort = await freePort();
const server = await startServer({
  MAIL_SMARTHOST: sink.url,
  SMTP_RELAY_PORT: String(relayPort),
  RATE_LIMIT_MULTIPLIER: '1000',
  LOG_LEVEL: 'warn',
});
const sender = await signUp(server.url);
const pid = server.process.pid ?? 0;
const recipients = [randomEmail('Bob Brown'), randomEmail('Carol Chen'), randomEmail('Dave Doe')];
const client = createTransport({
  host: '127.0.0.1',
  port: relayPort,
  secure: false,
  ignoreTLS: true,
  auth: { user: sender.email, pass: PASSWORD },
  pool: true,
  maxConnections: connections,
  maxMessages: Infinity,
});

interface Row {
  name: string;
  count: number;
  perSecond: number;
  acceptP50: number;
  acceptP99: number;
  deliveredP50: number;
  deliveredP99: number;
  cpuPercent: number;
  rssMiB: number;
}

async function step(name: string, count: number, attachmentBytes: number): Promise<Row> {
  const attachment = attachmentBytes > 0 ? randomBytes(attachmentBytes) : undefined;
  const before = processUsage(pid);
  const accepted: number[] = [];
  const deliveredAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  // Copies arrive in any order; a message is delivered when its third copy is in.
  const seen = new Map<string, number>();
  const base = sink.received.length;
  const watch = setInterval(() => {
    for (const mail of sink.received.splice(base)) {
      const id = /X-Bench-Id: (\S+)/i.exec(mail.raw.toString('latin1'))?.[1] ?? '';
      const copies = (seen.get(id) ?? 0) + 1;
      seen.set(id, copies);
      if (copies === recipients.length) deliveredAt.set(id, performance.now());
    }
  }, 2);
  const wall = performance.now();
  // Each connection sends its share one after another, as a mail program does.
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let index = next++; index < count; index = next++) {
        const id = `${name.replace(/\W+/g, '-')}-${index}`;
        const start = performance.now();
        startedAt.set(id, start);
        await client.sendMail({
          from: sender.email,
          to: recipients.slice(0, 2),
          cc: recipients[2],
          subject: `Bench ${id}`,
          headers: { 'X-Bench-Id': id },
          text: 'Hello,\n\n'.concat('A line of an ordinary email.\n'.repeat(60)),
          html: '<p>Hello,</p>'.concat('<p>A line of an ordinary email.</p>'.repeat(60)),
          ...(attachment ? { attachments: [{ filename: 'a.bin', content: attachment }] } : {}),
        });
        accepted.push(performance.now() - start);
      }
    }),
  );
  const deadline = performance.now() + 120_000;
  while (deliveredAt.size < count && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const elapsed = (performance.now() - wall) / 1000;
  clearInterval(watch);
  const after = processUsage(pid);
  const delivered = [...deliveredAt].map(([id, at]) => at - (startedAt.get(id) ?? at));
  accepted.sort((a, b) => a - b);
  delivered.sort((a, b) => a - b);
  return {
    name,
    count: deliveredAt.size,
    perSecond: deliveredAt.size / elapsed,
    acceptP50: percentile(accepted, 50),
    acceptP99: percentile(accepted, 99),
    deliveredP50: percentile(delivered, 50),
    deliveredP99: percentile(delivered, 99),
    cpuPercent: ((after.cpu - before.cpu) / elapsed) * 100,
    rssMiB: after.rssBytes / 2 ** 20,
  };
}

try {
  const rows = [
    await step('12 KB alternative', messages, 0),
    await step('1 MB attachment', Math.max(10, Math.round(messages / 10)), 1024 * 1024),
  ];
  console.log(
    `\n${messages} messages, 3 recipients each, ${connections} connections; ${process.version}\n`,
  );
  console.log(
    '| message | delivered | messages/s | 250 p50 | 250 p99 | all copies p50 | all copies p99 | server CPU | server RSS |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(
      `| ${row.name} | ${row.count} | ${row.perSecond.toFixed(1)} | ${ms(row.acceptP50)} | ${ms(row.acceptP99)} | ${ms(row.deliveredP50)} | ${ms(row.deliveredP99)} | ${row.cpuPercent.toFixed(0)} % | ${row.rssMiB.toFixed(0)} MiB |`,
    );
  }
} finally {
  client.close();
  await server.stop();
  await sink.close();
}
