// The benchmark's room in Janus's VideoRoom (the Debian package), as the
// side-by-side anchor: a Janus process of its own (private configuration,
// VideoRoom and HTTP only); each producer a "remote publisher" fed plain RTP
// (Janus maps SSRC 1000 to the publisher's first stream), each receiver an
// RTP forwarder of every publisher to the drain. Plain RTP on both sides, as
// in the mediasoup room: no ICE, no SRTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/free-port.js';
import type { Feed } from './rtp-feed.js';
import type { SfuRoom, SfuUnderTest } from './sfu.js';

const LIBS = '/usr/lib/x86_64-linux-gnu/janus';
/** The SSRC a VideoRoom remote publisher expects on its first stream. */
const REMOTE_PUBLISHER_SSRC = 1000;
const OPUS_PT = 111;

interface JanusReply {
  janus: string;
  data?: { id: number };
  plugindata?: { data: Record<string, unknown> };
  error?: { reason: string };
}

function configure(dir: string, httpPort: number): void {
  for (const folder of ['conf', 'plugins', 'transports', 'none']) mkdirSync(path.join(dir, folder));
  symlinkSync(
    `${LIBS}/plugins/libjanus_videoroom.so`,
    path.join(dir, 'plugins/libjanus_videoroom.so'),
  );
  symlinkSync(`${LIBS}/transports/libjanus_http.so`, path.join(dir, 'transports/libjanus_http.so'));
  const conf = (name: string, text: string) => writeFileSync(path.join(dir, 'conf', name), text);
  conf(
    'janus.jcfg',
    `general: {
  configs_folder = "${dir}/conf"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/none"
  loggers_folder = "${dir}/none"
  debug_level = 3
  session_timeout = 0
}
`,
  );
  conf('janus.plugin.videoroom.jcfg', 'general: {\n}\n');
  conf(
    'janus.transport.http.jcfg',
    `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  ip = "127.0.0.1"
  port = ${httpPort}
}
admin: {
  admin_http = false
}
`,
  );
}

export async function startJanus(): Promise<SfuUnderTest> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-janus-'));
  const httpPort = await freePort();
  configure(dir, httpPort);
  const janus: ChildProcess = spawn(
    'janus',
    ['-F', `${dir}/conf`, '-C', `${dir}/conf/janus.jcfg`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let errors = '';
  janus.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const base = `http://127.0.0.1:${httpPort}/janus`;
  let transaction = 0;
  const post = async (url: string, body: object): Promise<JanusReply> => {
    const response = await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ ...body, transaction: `t${transaction++}` }),
    });
    const reply = (await response.json()) as JanusReply;
    if (reply.janus === 'error') throw new Error(`Janus: ${reply.error?.reason ?? 'error'}`);
    return reply;
  };
  for (let i = 0; ; i++) {
    if (janus.exitCode !== null) throw new Error(`janus exited: ${errors}`);
    const up = await fetch(`${base}/info`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 100) throw new Error('janus did not start in 10 s');
    await sleep(100);
  }
  const session = (await post(base, { janus: 'create' })).data?.id;
  const handle = (
    await post(`${base}/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })
  ).data?.id;
  /** A VideoRoom request; its plugin answer. */
  const videoroom = async (body: Record<string, unknown>) => {
    const reply = await post(`${base}/${session}/${handle}`, { janus: 'message', body });
    const data = reply.plugindata?.data ?? {};
    if (data.videoroom === 'event' && data.error)
      throw new Error(`VideoRoom: ${JSON.stringify(data.error)}`);
    return data;
  };
  let roomId = 1000;
  return {
    name: 'Janus VideoRoom 1.1 (Debian)',
    pid: janus.pid ?? 0,
    room: async (producerCount, receiverCount, drainPort): Promise<SfuRoom> => {
      const room = ++roomId;
      await videoroom({ request: 'create', room, publishers: producerCount, audiocodec: 'opus' });
      const feeds: Feed[] = [];
      const publishers: number[] = [];
      for (let i = 0; i < producerCount; i++) {
        const added = await videoroom({
          request: 'add_remote_publisher',
          room,
          id: i + 1,
          display: `producer ${i + 1}`,
          iface: '127.0.0.1',
          streams: [{ type: 'audio', mindex: 0, mid: '0', codec: 'opus' }],
        });
        publishers.push(i + 1);
        feeds.push({ port: Number(added.port), ssrc: REMOTE_PUBLISHER_SSRC, payloadType: OPUS_PT });
      }
      for (let r = 0; r < receiverCount; r++) {
        for (const publisher of publishers) {
          await videoroom({
            request: 'rtp_forward',
            room,
            publisher_id: publisher,
            host: '127.0.0.1',
            streams: [{ mid: '0', port: drainPort }],
          });
        }
      }
      return {
        feeds,
        // Janus keeps no count per forwarder: the drain counts what arrives.
        streams: producerCount * receiverCount,
        close: async () => {
          await videoroom({ request: 'destroy', room });
        },
      };
    },
    close: async () => {
      if (janus.exitCode === null && janus.signalCode === null) {
        const exited = new Promise((resolve) => janus.once('exit', resolve));
        janus.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
