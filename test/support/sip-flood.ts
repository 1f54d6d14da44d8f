// A stranger's flood of OPTIONS from one address over UDP, at a steady rate,
// and the heap after a full garbage collection: what the flood test and the
// flood benchmark measure.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { SipGateway } from '../../gateway/sip-gateway.js';
import { sipRequest, UdpPeer, type Endpoint } from './raw-sip.js';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Heap in use after full collections (bytes): what the process really keeps. */
export async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Sends `perSecond` OPTIONS a second from `fromIp` to `target` for `seconds`,
 * each a new transaction (its own branch and Call-ID); resolves how many went
 * out and how many were answered.
 */
export async function floodOptions(
  target: Endpoint,
  fromIp: string,
  perSecond: number,
  seconds: number,
): Promise<{ sent: number; answered: number }> {
  const peer = await UdpPeer.open(fromIp);
  const tickMs = 20;
  const perTick = Math.max(1, Math.round((perSecond * tickMs) / 1000));
  const started = Date.now();
  let sent = 0;
  try {
    while (Date.now() - started < seconds * 1000) {
      const tick = Date.now();
      const batch: Promise<void>[] = [];
      for (let i = 0; i < perTick; i++) {
        batch.push(
          peer.send(sipRequest({ method: 'OPTIONS', to: target, from: peer.endpoint }), target),
        );
      }
      await Promise.all(batch);
      sent += perTick;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, tickMs - (Date.now() - tick))),
      );
    }
    // Answers still on their way.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { sent, answered: peer.received.length };
  } finally {
    peer.close();
  }
}

/**
 * The real gateway and SIP stack on 127.0.0.1:`port`, in this process (so its
 * heap can be read), silent, with one trunk (127.0.0.2) it never reaches.
 */
export function floodTarget(port: number): SipGateway {
  return new SipGateway({
    listenIp: '127.0.0.1',
    port,
    publicAddress: undefined,
    trunks: [
      {
        name: 'carrier',
        host: '127.0.0.2',
        port: 9,
        transport: 'udp',
        codecs: ['PCMU'],
        allowFrom: [],
        optionsIntervalSeconds: 3600,
      },
    ],
    logger: pino({ level: 'silent' }),
    media: {
      listenIp: '127.0.0.1',
      announcedAddress: undefined,
      portRange: { min: 40000, max: 40100 },
    },
  });
}
