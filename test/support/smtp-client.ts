// A raw SMTP client on one socket, for tests and benches that must control
// each command's timing (every AUTH of a crowd sent at the same moment).
import { connect, type Socket } from 'node:net';

export interface SmtpClient {
  socket: Socket;
  /** Resolves with the next complete reply's code (multi-line replies collapsed). */
  reply: () => Promise<number>;
  /** Resolves with the next complete reply, every line of it. */
  replyText: () => Promise<string>;
  /** Sends a line (or none) and resolves with the next complete reply. */
  say: (line?: string) => Promise<string>;
}

export function smtpClient(port: number, localAddress = '127.0.0.1'): Promise<SmtpClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let buffer = '';
    let lines: string[] = [];
    const waiting: ((reply: string) => void)[] = [];
    const replies: string[] = [];
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        lines.push(line);
        if (line[3] === '-') continue;
        const reply = lines.join('\n');
        lines = [];
        const waiter = waiting.shift();
        if (waiter) waiter(reply);
        else replies.push(reply);
      }
    });
    socket.once('error', reject);
    const replyText = (): Promise<string> => {
      const ready = replies.shift();
      return ready === undefined
        ? new Promise((done) => waiting.push(done))
        : Promise.resolve(ready);
    };
    const client: SmtpClient = {
      socket,
      reply: async () => Number((await replyText()).slice(0, 3)),
      replyText,
      say: (line) => {
        if (line !== undefined) socket.write(`${line}\r\n`);
        return replyText();
      },
    };
    socket.once('connect', () => resolve(client));
  });
}

/** AUTH PLAIN's argument. */
export const authPlain = (user: string, password: string): string =>
  Buffer.from(`\0${user}\0${password}`).toString('base64');

/** One AUTH PLAIN on a fresh connection: the reply's code. */
export async function relayLogIn(
  port: number,
  user: string,
  password: string,
  localAddress?: string,
): Promise<number> {
  const client = await smtpClient(port, localAddress);
  try {
    await client.reply();
    await client.say('EHLO test.example');
    return Number((await client.say(`AUTH PLAIN ${authPlain(user, password)}`)).slice(0, 3));
  } finally {
    client.socket.destroy();
  }
}
