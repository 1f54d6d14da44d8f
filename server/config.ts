// Configuration from the environment, parsed once at start-up. A bad value stops
// the server with a message that names the variable (see the README's table).
//
// Over the ~400-line rule (about 460 lines): one schema and one table of
// fields, read side by side with the README's configuration table. The HTTP
// settings already live in http-config.ts; the mail settings are the next
// group to move out when this file grows again.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseTrunks, type Trunk } from '../gateway/trunks.js';
import { parseInboundNumbers, type InboundNumber } from '../gateway/numbers.js';
import { httpConfig, httpEnvironment, type HttpConfig } from './http-config.js';
import {
  pushConfig,
  pushEnvironment,
  pushEnvironmentProblem,
  QUIET_PUSH_SETTINGS,
  type PushConfig,
} from './push/push-config.js';

const port = z.coerce
  .number({ message: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], {
    message: 'must be one of 1, 0, true, false, yes, no, on, off',
  })
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value));

const ipAddress = z
  .string()
  .refine((value) => isIP(value) !== 0, 'must be an IPv4 or IPv6 address');

const hostOrIp = z
  .string()
  .regex(/^[A-Za-z0-9.:-]+$/, 'must be an IP address or a host name')
  .max(253);

const urlWithProtocols = (protocols: string[]) =>
  z
    .url({ message: 'must be a URL' })
    .refine(
      (value) => protocols.includes(new URL(value).protocol),
      `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );

/** A PEM file named by a setting, read at start-up (its content is the value). */
const pemFile = z.string().transform((file, context) => {
  try {
    const pem = readFileSync(file, 'utf8');
    if (pem.includes('-----BEGIN ')) return pem;
    context.addIssue({ code: 'custom', message: `${file} is not a PEM file` });
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `cannot be read (${error instanceof Error ? error.message : String(error)})`,
    });
  }
  return z.NEVER;
});

/** Settings whose values stay out of error messages: secrets, passwords, emails. */
const QUIET_SETTINGS = new Set([
  'SECRET_KEY',
  'SIP_TRUNKS',
  'SIP_NUMBERS',
  'MAIL_SMARTHOST',
  'TURN_SECRET',
  'REDIS_URL',
  'DATABASE_URL',
  ...QUIET_PUSH_SETTINGS,
]);

/** A comma-separated list of ICE server URLs of the given schemes (RFC 7064/7065). */
function iceUrls(schemes: string) {
  const url = new RegExp(`^(${schemes}):[^\\s,?]+(\\?transport=(udp|tcp))?$`);
  return z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .refine(
      (urls) => urls.every((entry) => url.test(entry)),
      `must be a comma-separated list of ${schemes.split('|').join(': or ')}: URLs`,
    );
}

/** A JSON setting read by `parse`, whose error message names the problem. */
function jsonSetting<T>(parse: (json: string | undefined) => T) {
  return z
    .string()
    .optional()
    .transform((json, context) => {
      try {
        return parse(json);
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: error instanceof Error ? error.message : String(error),
        });
        return z.NEVER;
      }
    });
}

const environmentSchema = z
  .object({
    HOST: hostOrIp.default('127.0.0.1'),
    PORT: port.default(8080),
    PUBLIC_URL: urlWithProtocols(['http:', 'https:']).optional(),
    DATA_DIR: z.string().min(1).default('data'),
    DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']).optional(),
    REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).optional(),
    // With several nodes: where a new call runs (ADR 017).
    MEDIA_PLACEMENT: z
      .enum(['cluster', 'local'], { message: "must be 'cluster' or 'local'" })
      .default('cluster'),
    MEDIASOUP_WORKERS: z.coerce
      .number({ message: 'must be a number' })
      .int('must be an integer')
      // 0: a signaling-only node (its calls run on the media nodes; needs REDIS_URL).
      .min(0, 'must be 0 or more')
      .max(64, 'must be at most 64')
      .default(os.availableParallelism()),
    RTC_LISTEN_IP: ipAddress.default('127.0.0.1'),
    WEBRTC_SERVER_PORT: port.default(39000),
    RTC_MIN_PORT: port.default(40000),
    RTC_MAX_PORT: port.default(49999),
    ANNOUNCED_ADDRESS: hostOrIp.optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
    DIAGNOSTICS_ROOMS: flag.default(false),
    SIP_PORT: port.default(5060),
    SIP_TRUNKS: jsonSetting(parseTrunks),
    SIP_NUMBERS: jsonSetting(parseInboundNumbers),
    SIP_TLS_PORT: port.default(5061),
    SIP_TLS_CERT: pemFile.optional(),
    SIP_TLS_KEY: pemFile.optional(),
    SIP_TLS_CA: pemFile.optional(),
    ...httpEnvironment,
    ...pushEnvironment,
    RATE_LIMIT_MULTIPLIER: z.coerce
      .number({ message: 'must be a number' })
      .min(0.01, 'must be positive')
      .max(10000, 'must be at most 10000')
      .default(1),
    MAIL_SMARTHOST: urlWithProtocols(['smtp:', 'smtps:']).optional(),
    MAIL_FROM: z
      .string()
      .regex(/^[^\r\n<>]*<?[^\s@<>]+@[^\s@<>]+>?$/, 'must be an address, or a name and <address>')
      .optional(),
    SMTP_RELAY_HOST: hostOrIp.optional(),
    SMTP_RELAY_PORT: port.default(2525),
    SMTP_TLS_CERT: pemFile.optional(),
    SMTP_TLS_KEY: pemFile.optional(),
    SMTP_MAX_MESSAGE_MB: z.coerce
      .number({ message: 'must be a number' })
      .min(1, 'must be at least 1')
      .max(150, 'must be at most 150')
      .default(25),
    MAIL_RETRY_SECONDS: z
      .string()
      .regex(/^\d+(\s*,\s*\d+)*$/, 'must be a comma-separated list of seconds')
      .transform((list) => list.split(',').map((seconds) => Number(seconds) * 1000))
      .refine((delays) => delays.every((ms) => ms > 0), 'must be positive')
      .default([60, 300, 900, 1800, 3600].map((seconds) => seconds * 1000)),
    MAIL_GIVE_UP_HOURS: z.coerce
      .number({ message: 'must be a number' })
      .min(0.001, 'must be positive')
      .max(720, 'must be at most 720 (30 days)')
      .default(48),
    CHAT_EMAIL_AFTER_SECONDS: z.coerce
      .number({ message: 'must be a number' })
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(86_400, 'must be at most 86400 (a day)')
      .default(300),
    VOICEMAIL_MAX_SECONDS: z.coerce
      .number({ message: 'must be a number' })
      .int('must be an integer')
      .min(10, 'must be at least 10')
      .max(3600, 'must be at most 3600')
      .default(300),
    STUN_URLS: iceUrls('stun|stuns').default([]),
    TURN_URLS: iceUrls('turn|turns').default([]),
    TURN_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    TURN_CREDENTIAL_HOURS: z.coerce
      .number({ message: 'must be a number' })
      .min(1, 'must be at least 1')
      .max(168, 'must be at most 168 (a week)')
      .default(12),
    ICE_TRANSPORT_POLICY: z
      .enum(['all', 'relay'], { message: 'must be all or relay' })
      .default('all'),
    SECRET_KEY: z
      .string()
      .transform((value) => Buffer.from(value, 'base64'))
      .refine((key) => key.length === 32, 'must be 32 bytes in base64 (openssl rand -base64 32)')
      .optional(),
  })
  .superRefine((env, context) => {
    const push = pushEnvironmentProblem(env);
    if (push) context.addIssue({ code: 'custom', path: [push.path], message: push.message });
    if (env.TURN_URLS.length > 0 && !env.TURN_SECRET) {
      context.addIssue({
        code: 'custom',
        path: ['TURN_SECRET'],
        message: "is required with TURN_URLS (coturn's static-auth-secret)",
      });
    }
    if (env.ICE_TRANSPORT_POLICY === 'relay' && env.TURN_URLS.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['ICE_TRANSPORT_POLICY'],
        message: 'relay needs a TURN server: set TURN_URLS and TURN_SECRET',
      });
    }
    if (Boolean(env.SMTP_TLS_CERT) !== Boolean(env.SMTP_TLS_KEY)) {
      context.addIssue({
        code: 'custom',
        path: [env.SMTP_TLS_CERT ? 'SMTP_TLS_KEY' : 'SMTP_TLS_CERT'],
        message: 'must be set together with SMTP_TLS_CERT and SMTP_TLS_KEY',
      });
    }
    if (Boolean(env.SIP_TLS_CERT) !== Boolean(env.SIP_TLS_KEY)) {
      context.addIssue({
        code: 'custom',
        path: [env.SIP_TLS_CERT ? 'SIP_TLS_KEY' : 'SIP_TLS_CERT'],
        message: 'must be set together with SIP_TLS_CERT and SIP_TLS_KEY',
      });
    }
    const tlsTrunk = env.SIP_TRUNKS.find((trunk) => trunk.transport === 'tls');
    if (tlsTrunk && !env.SIP_TLS_CERT) {
      context.addIssue({
        code: 'custom',
        path: ['SIP_TRUNKS'],
        message: `trunk ${tlsTrunk.name} uses tls: set SIP_TLS_CERT and SIP_TLS_KEY`,
      });
    }
    if (env.RTC_MIN_PORT > env.RTC_MAX_PORT) {
      context.addIssue({
        code: 'custom',
        path: ['RTC_MIN_PORT'],
        message: `must not be greater than RTC_MAX_PORT (${env.RTC_MAX_PORT})`,
      });
    }
    if (env.MEDIASOUP_WORKERS === 0 && env.REDIS_URL && env.MEDIA_PLACEMENT === 'local') {
      context.addIssue({
        code: 'custom',
        path: ['MEDIA_PLACEMENT'],
        message: "must be 'cluster' on a node without media workers (MEDIASOUP_WORKERS=0)",
      });
    }
    if (env.MEDIASOUP_WORKERS === 0 && !env.REDIS_URL) {
      context.addIssue({
        code: 'custom',
        path: ['MEDIASOUP_WORKERS'],
        message:
          'may be 0 only with REDIS_URL (the calls of a signaling-only node run on other nodes)',
      });
    }
    const lastServerPort = env.WEBRTC_SERVER_PORT + env.MEDIASOUP_WORKERS - 1;
    if (lastServerPort > 65535) {
      context.addIssue({
        code: 'custom',
        path: ['WEBRTC_SERVER_PORT'],
        message: `leaves no room for ${env.MEDIASOUP_WORKERS} workers (one port each)`,
      });
    } else if (env.WEBRTC_SERVER_PORT <= env.RTC_MAX_PORT && lastServerPort >= env.RTC_MIN_PORT) {
      context.addIssue({
        code: 'custom',
        path: ['WEBRTC_SERVER_PORT'],
        message: `must not overlap RTC_MIN_PORT-RTC_MAX_PORT (${env.RTC_MIN_PORT}-${env.RTC_MAX_PORT})`,
      });
    }
    const wildcard = env.RTC_LISTEN_IP === '0.0.0.0' || env.RTC_LISTEN_IP === '::';
    if (wildcard && !env.ANNOUNCED_ADDRESS) {
      context.addIssue({
        code: 'custom',
        path: ['ANNOUNCED_ADDRESS'],
        message: `is required when RTC_LISTEN_IP is ${env.RTC_LISTEN_IP} (browsers need a reachable address)`,
      });
    }
  });

/**
 * The HTTP settings (trustProxy, metricsAllow, deadlines, caps) come from
 * http-config.ts, the Web Push ones (vapidKeys, vapidSubject, pushServiceHosts) from
 * push/push-config.ts.
 */
export interface Config extends HttpConfig, PushConfig {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Where a new call runs: the least-loaded worker of any node, or this node's. */
  mediaPlacement: 'cluster' | 'local';
  mediasoupWorkers: number;
  rtcListenIp: string;
  /** Worker i's WebRtcServer listens on this + i (UDP and TCP). */
  webRtcServerPort: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  announcedAddress: string | undefined;
  logLevel: string;
  diagnosticsRooms: boolean;
  /** The SIP gateway's port (UDP and TCP, on RTC_LISTEN_IP); used when trunks are set. */
  sipPort: number;
  /** SIP over TLS: our certificate and key (PEM), the port, extra CAs to trust for carriers. */
  sipTls: { port: number; cert: string; key: string; ca: string | undefined } | undefined;
  /** SIP trunks (SIP_TRUNKS, JSON); none: the gateway does not start. */
  sipTrunks: Trunk[];
  /** Our numbers (SIP_NUMBERS, JSON): calls to them ring a sender's devices. */
  sipNumbers: InboundNumber[];
  /** Scales every rate limit (tests and load tests raise it). */
  rateLimitMultiplier: number;
  /** Mail: the relay, delivery and notifications; undefined without MAIL_SMARTHOST. */
  mail: MailConfig | undefined;
  /** The longest voice message a caller may leave. */
  voicemailMaxSeconds: number;
  /** Seals values shown again later; from SECRET_KEY, else a file under dataDir. */
  secretKey: Buffer | undefined;
  /** The ICE servers browsers get for their transports. */
  ice: IceConfig;
}

export interface IceConfig {
  stunUrls: string[];
  /** TURN with time-limited credentials (coturn's use-auth-secret scheme). */
  turn: { urls: string[]; secret: string; credentialTtlMs: number } | undefined;
  /** `relay`: browsers use TURN only (nothing direct), e.g. to keep their addresses private. */
  transportPolicy: 'all' | 'relay';
}

export interface MailConfig {
  /** Where all outgoing mail goes (smtp:// or smtps:// URL, credentials inside). */
  smarthost: string;
  /** The From of notifications. */
  from: string;
  /** The host name in Message-IDs, bounces and the relay's greeting. */
  hostname: string;
  relay: {
    host: string;
    port: number;
    tls: { cert: string; key: string } | undefined;
    maxMessageBytes: number;
  };
  retryDelaysMs: number[];
  giveUpAfterMs: number;
  /** Quiet time after which unread chat messages are emailed (CHAT_EMAIL_AFTER_SECONDS). */
  chatEmailAfterMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Empty variables count as unset, as in most shells' `VAR= cmd` idiom. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
}

export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const raw = withoutEmpty(env);
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        // Never echo a secret (or a list of people's emails) back.
        const given = QUIET_SETTINGS.has(name) ? undefined : raw[name];
        return `${name} ${issue.message}${given === undefined ? '' : ` (got "${given}")`}`;
      }),
    );
  }
  const e = parsed.data;
  const urlHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  const publicUrl = (
    e.PUBLIC_URL ?? `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${e.PORT}`
  ).replace(/\/+$/, '');
  const hostname = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    dataDir: path.resolve(cwd, e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    mediaPlacement: e.MEDIA_PLACEMENT,
    mediasoupWorkers: e.MEDIASOUP_WORKERS,
    rtcListenIp: e.RTC_LISTEN_IP,
    webRtcServerPort: e.WEBRTC_SERVER_PORT,
    rtcMinPort: e.RTC_MIN_PORT,
    rtcMaxPort: e.RTC_MAX_PORT,
    announcedAddress: e.ANNOUNCED_ADDRESS,
    logLevel: e.LOG_LEVEL,
    diagnosticsRooms: e.DIAGNOSTICS_ROOMS,
    sipPort: e.SIP_PORT,
    sipTrunks: e.SIP_TRUNKS,
    sipNumbers: e.SIP_NUMBERS,
    sipTls:
      e.SIP_TLS_CERT && e.SIP_TLS_KEY
        ? { port: e.SIP_TLS_PORT, cert: e.SIP_TLS_CERT, key: e.SIP_TLS_KEY, ca: e.SIP_TLS_CA }
        : undefined,
    rateLimitMultiplier: e.RATE_LIMIT_MULTIPLIER,
    ...httpConfig(e),
    ...pushConfig(e, hostname),
    mail: e.MAIL_SMARTHOST
      ? {
          smarthost: e.MAIL_SMARTHOST,
          from: e.MAIL_FROM ?? `Voxreply <voxreply@${hostname}>`,
          hostname,
          relay: {
            host: e.SMTP_RELAY_HOST ?? e.HOST,
            port: e.SMTP_RELAY_PORT,
            tls:
              e.SMTP_TLS_CERT && e.SMTP_TLS_KEY
                ? { cert: e.SMTP_TLS_CERT, key: e.SMTP_TLS_KEY }
                : undefined,
            maxMessageBytes: Math.round(e.SMTP_MAX_MESSAGE_MB * 1024 * 1024),
          },
          retryDelaysMs: e.MAIL_RETRY_SECONDS,
          giveUpAfterMs: e.MAIL_GIVE_UP_HOURS * 3600 * 1000,
          chatEmailAfterMs: e.CHAT_EMAIL_AFTER_SECONDS * 1000,
        }
      : undefined,
    voicemailMaxSeconds: e.VOICEMAIL_MAX_SECONDS,
    secretKey: e.SECRET_KEY,
    ice: {
      stunUrls: e.STUN_URLS,
      turn:
        e.TURN_URLS.length > 0 && e.TURN_SECRET
          ? {
              urls: e.TURN_URLS,
              secret: e.TURN_SECRET,
              credentialTtlMs: e.TURN_CREDENTIAL_HOURS * 3_600_000,
            }
          : undefined,
      transportPolicy: e.ICE_TRANSPORT_POLICY,
    },
  };
}
