// What the SFU benchmark's producers send: 50 Opus packets per second per
// producer (a 20 ms frame of about 80 bytes, as a browser sends) over plain
// RTP from this process, to each producer's port with its SSRC.
import dgram from 'node:dgram';

export interface Feed {
  port: number;
  ssrc: number;
  payloadType: number;
}

export function bind(socket: dgram.Socket): Promise<number> {
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => resolve(socket.address().port)),
  );
}

/** Starts feeding every producer; the returned function stops. */
export async function startFeeding(feeds: Feed[]): Promise<() => void> {
  const sender = dgram.createSocket('udp4');
  await bind(sender);
  const payload = Buffer.alloc(80, 0x5a);
  let sequence = 0;
  let timestamp = 0;
  const tick = setInterval(() => {
    sequence = (sequence + 1) & 0xffff;
    timestamp = (timestamp + 960) >>> 0;
    for (const feed of feeds) {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = feed.payloadType;
      header.writeUInt16BE(sequence, 2);
      header.writeUInt32BE(timestamp, 4);
      header.writeUInt32BE(feed.ssrc, 8);
      sender.send(Buffer.concat([header, payload]), feed.port, '127.0.0.1');
    }
  }, 20);
  return () => {
    clearInterval(tick);
    sender.close();
  };
}

/** A UDP drain for forwarded packets, counting what arrives. */
export async function startDrain(): Promise<{
  port: number;
  received: () => number;
  close: () => void;
}> {
  const drain = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 2 ** 20 });
  const port = await bind(drain);
  let received = 0;
  drain.on('message', () => (received += 1));
  return { port, received: () => received, close: () => drain.close() };
}
