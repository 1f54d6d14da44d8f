// baresip (Debian) as an ordinary telephone: it auto-answers calls to its
// number (or dials one), plays a WAV as its microphone and records what it
// hears (the sndfile module writes each decoded stream to a WAV file).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Telephone {
  /** The WAV files of what the phone heard (one per call). */
  recordings: () => string[];
  output: () => string;
  /** Presses keys on the phone's keypad (sent as RFC 4733 events); needs `keypad`. */
  press: (keys: string) => Promise<void>;
  stop: () => Promise<void>;
}

export function startTelephone(options: {
  ip: string;
  port: number;
  number: string;
  microphoneWav: string;
  /** A SIP URI to call at once (else the phone waits and auto-answers). */
  dial?: string;
  /** SIP over TLS too, on port + 1: certificate and key in one PEM file. */
  tlsCertificate?: string;
  /** A UDP port for baresip's console (cons module): `press` types keys into it. */
  keypadPort?: number;
}): Telephone {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-baresip-'));
  const recordings = path.join(dir, 'recordings');
  mkdirSync(recordings);
  const config = [
    'poll_method epoll',
    `sip_listen ${options.ip}:${String(options.port)}`,
    `audio_source aufile,${options.microphoneWav}`,
    // No sound card here: ALSA's null device plays; sndfile records.
    'audio_player alsa,null',
    'audio_alert alsa,null',
    `snd_path ${recordings}`,
    ...(options.tlsCertificate ? [`sip_certificate ${options.tlsCertificate}`] : []),
    ...(options.keypadPort ? [`cons_listen ${options.ip}:${String(options.keypadPort)}`] : []),
    'module_path /usr/lib/baresip/modules',
    ...['g711', 'g722', 'opus', 'aufile', 'alsa', 'sndfile', 'account']
      .concat(options.keypadPort ? ['cons'] : [])
      .map((m) => `module ${m}.so`),
    'module_app menu.so',
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'config'), config);
  writeFileSync(
    path.join(dir, 'accounts'),
    `<sip:${options.number}@${options.ip}:${String(options.port)}>;regint=0;answermode=auto\n`,
  );
  const commands = options.dial ? ['-e', `/dial ${options.dial}`] : [];
  const child = spawn('baresip', ['-f', dir, ...commands], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    recordings: () =>
      readdirSync(recordings)
        .filter((file) => file.endsWith('.wav') && file.includes('dec'))
        .map((file) => path.join(recordings, file)),
    output: () => output,
    press: async (keys) => {
      const port = options.keypadPort;
      if (!port) throw new Error('this telephone has no keypad port');
      const socket = dgram.createSocket('udp4');
      // A key typed on the console's menu during a call is sent as a telephone-event.
      for (const key of keys) {
        await new Promise<void>((resolve, reject) =>
          socket.send(key, port, options.ip, (error) => (error ? reject(error) : resolve())),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      socket.close();
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Removes a telephone's files once the test has read them. */
export function removeTelephoneFiles(recording: string): void {
  rmSync(path.dirname(path.dirname(recording)), { recursive: true, force: true });
}

/**
 * The machine's own non-loopback IPv4 address, which baresip puts in its SDP
 * for media. A server listening for media there receives baresip's RTP from
 * that same address (on loopback it would come from 127.0.0.1, which its SDP
 * does not name and the relay rightly refuses).
 */
export function mediaAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const ipv4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (ipv4) return ipv4.address;
  }
  throw new Error('baresip tests need a non-loopback IPv4 address on this machine');
}
