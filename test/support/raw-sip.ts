// Hand-made SIP messages over raw UDP and TCP sockets: what a stranger, a
// scanner or a broken carrier sends, byte for byte, and what comes back.
import dgram from 'node:dgram';
import net from 'node:net';

export interface Endpoint {
  ip: string;
  port: number;
}

let sequence = 0;

/**
 * A request as text: a start line, headers in order (a value of undefined
 * leaves the header out) and a body. Content-Length is the body's unless given.
 */
export function sipRequest(options: {
  method: string;
  to: Endpoint;
  from: Endpoint;
  transport?: 'UDP' | 'TCP';
  version?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
}): string {
  const n = ++sequence;
  const target = `sip:voxreply@${options.to.ip}:${String(options.to.port)}`;
  const from = `${options.from.ip}:${String(options.from.port)}`;
  const headers: Record<string, string | undefined> = {
    Via: `SIP/2.0/${options.transport ?? 'UDP'} ${from};branch=z9hG4bKraw${String(n)}x${String(Date.now())}`,
    From: `<sip:tester@${from}>;tag=raw${String(n)}`,
    To: `<${target}>`,
    'Call-ID': `raw-${String(n)}-${String(Date.now())}@${options.from.ip}`,
    CSeq: `1 ${options.method}`,
    'Max-Forwards': '70',
    ...options.headers,
  };
  const body = options.body ?? '';
  if (!('Content-Length' in headers)) headers['Content-Length'] = String(Buffer.byteLength(body));
  const lines = Object.entries(headers)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}: ${value}`);
  return [`${options.method} ${target} SIP/${options.version ?? '2.0'}`, ...lines, '', body].join(
    '\r\n',
  );
}

/** The status code of a response's text (NaN for a request). */
export function statusOf(message: string): number {
  return Number(/^SIP\/2\.0 (\d{3}) /.exec(message)?.[1] ?? Number.NaN);
}

/** A header's value in a message's text (the first, case-insensitive). */
export function headerOf(message: string, name: string): string | undefined {
  const pattern = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  return pattern.exec(message.split('\r\n\r\n')[0] ?? '')?.[1]?.trim();
}

/** A UDP socket on `ip` that keeps every datagram it receives, with its arrival time. */
export class UdpPeer {
  readonly received: { at: number; text: string }[] = [];
  readonly #socket: dgram.Socket;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on('message', (data) => this.received.push({ at: Date.now(), text: data.toString() }));
  }

  static async open(ip: string, port = 0): Promise<UdpPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
    return new UdpPeer(socket);
  }

  get endpoint(): Endpoint {
    const address = this.#socket.address();
    return { ip: address.address, port: address.port };
  }

  send(text: string, to: Endpoint): Promise<void> {
    return new Promise((resolve) => this.#socket.send(text, to.port, to.ip, () => resolve()));
  }

  /** Responses so far whose Call-ID is `callId`. */
  responsesTo(callId: string): { at: number; text: string }[] {
    return this.received.filter((m) => headerOf(m.text, 'Call-ID') === callId);
  }

  close(): void {
    this.#socket.close();
  }
}

/** A TCP connection that keeps everything it reads and knows when it was closed. */
export class TcpPeer {
  text = '';
  closed = false;
  readonly #socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (this.text += chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async connect(to: Endpoint, localIp = '127.0.0.1'): Promise<TcpPeer> {
    const socket = net.connect({ host: to.ip, port: to.port, localAddress: localIp });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new TcpPeer(socket);
  }

  get endpoint(): Endpoint {
    return { ip: this.#socket.localAddress ?? '', port: this.#socket.localPort ?? 0 };
  }

  write(text: string): Promise<void> {
    return new Promise((resolve) => this.#socket.write(text, 'latin1', () => resolve()));
  }

  close(): void {
    this.#socket.destroy();
  }
}
