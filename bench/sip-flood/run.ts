// Heap of the SIP gateway under a stranger's flood: one source sends OPTIONS
// (each a new transaction) at a steady rate for a while; the heap after a full
// collection is read before, every `step` seconds during, and after. The
// gateway and its SIP stack run in this process (the heap is read here); the
// flood comes over real UDP from another loopback address.
//
//   npm run bench:sip-flood -- [rate=3000] [seconds=60] [step=10]
import { freePortRange } from '../../test/support/free-port.js';
import { floodOptions, floodTarget, heapAfterGc } from '../../test/support/sip-flood.js';

const rate = Number(process.argv[2] ?? 3000);
const seconds = Number(process.argv[3] ?? 60);
const step = Number(process.argv[4] ?? 10);
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

const port = await freePortRange(1);
const gateway = floodTarget(port);
const before = await heapAfterGc();
console.log(`flood: ${String(rate)} OPTIONS/s from 127.0.0.9 for ${String(seconds)} s`);
console.log('| seconds | sent | answered | heap after GC (MB) | grown (MB) |');
console.log('| ------- | ---- | -------- | ------------------ | ---------- |');
console.log(`| 0 | 0 | 0 | ${mb(before)} | 0.0 |`);
let sent = 0;
let answered = 0;
for (let elapsed = 0; elapsed < seconds; elapsed += step) {
  const round = await floodOptions({ ip: '127.0.0.1', port }, '127.0.0.9', rate, step);
  sent += round.sent;
  answered += round.answered;
  const heap = await heapAfterGc();
  console.log(
    `| ${String(elapsed + step)} | ${String(sent)} | ${String(answered)} | ${mb(heap)} | ${mb(heap - before)} |`,
  );
}
// Answered requests' transactions are kept 32 s (Timer J) to absorb retransmissions.
await new Promise((resolve) => setTimeout(resolve, 33_000));
const settled = await heapAfterGc();
console.log(
  `| +33 s quiet | ${String(sent)} | ${String(answered)} | ${mb(settled)} | ${mb(settled - before)} |`,
);
await gateway.close();
