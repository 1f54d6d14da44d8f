import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';
import { projectRoot } from '../support/project.js';

/** A stand-in PEM file (the configuration reads it; TLS tests use real ones). */
function pemFile(label: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'voxreply-pem-')), `${label}.pem`);
  writeFileSync(
    file,
    `-----BEGIN ${label.toUpperCase()}-----\nAAAA\n-----END ${label.toUpperCase()}-----\n`,
  );
  return file;
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration from the environment', () => {
  it('has embedded defaults for one box', () => {
    const config = loadConfig({}, '/srv/voxreply');
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      dataDir: '/srv/voxreply/data',
      databaseUrl: undefined,
      redisUrl: undefined,
      rtcMinPort: 40000,
      rtcMaxPort: 49999,
      logLevel: 'info',
      diagnosticsRooms: false,
      trustProxy: [],
      sipPort: 5060,
      sipTrunks: [],
      ice: { stunUrls: [], turn: undefined, transportPolicy: 'all' },
    });
    expect(config.mediasoupWorkers).toBeGreaterThanOrEqual(1);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig(
      {
        HOST: '0.0.0.0',
        PORT: '9000',
        PUBLIC_URL: 'https://voice.example.org/',
        DATA_DIR: '/var/lib/voxreply',
        DATABASE_URL: 'postgres://u:p@db:5432/vox',
        REDIS_URL: 'redis://cache:6379',
        MEDIASOUP_WORKERS: '3',
        RTC_LISTEN_IP: '0.0.0.0',
        WEBRTC_SERVER_PORT: '45000',
        RTC_MIN_PORT: '50000',
        RTC_MAX_PORT: '50100',
        ANNOUNCED_ADDRESS: '203.0.113.7',
        LOG_LEVEL: 'debug',
        DIAGNOSTICS_ROOMS: 'on',
        RATE_LIMIT_MULTIPLIER: '2.5',
        TRUST_PROXY: 'loopback, 10.0.0.0/8',
        METRICS_ALLOW: '10.1.2.3',
        SIP_PORT: '5070',
        SIP_TRUNKS: '[{"name":"carrier","host":"sip.example.net"}]',
        SIP_NUMBERS: '[{"number":"+15550002222","email":"ada@example.org"}]',
        SIP_TLS_PORT: '5071',
        SIP_TLS_CERT: pemFile('certificate'),
        SIP_TLS_KEY: pemFile('private key'),
        SIP_TLS_CA: pemFile('certificate'),
        SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
        MAIL_SMARTHOST: 'smtp://relay:secret@smtp.example.org:587',
        MAIL_FROM: 'Voice <voice@example.org>',
        SMTP_RELAY_HOST: '0.0.0.0',
        SMTP_RELAY_PORT: '2587',
        SMTP_TLS_CERT: pemFile('certificate'),
        SMTP_TLS_KEY: pemFile('private key'),
        SMTP_MAX_MESSAGE_MB: '10',
        MAIL_RETRY_SECONDS: '30, 120',
        MAIL_GIVE_UP_HOURS: '24',
        CHAT_EMAIL_AFTER_SECONDS: '120',
        VOICEMAIL_MAX_SECONDS: '120',
        HTTP_IDLE_TIMEOUT_SECONDS: '45',
        HTTP_REQUEST_TIMEOUT_SECONDS: '600',
        MAX_CONNECTIONS_PER_ADDRESS: '1000',
        STUN_URLS: 'stun:stun.example.org:3478',
        TURN_URLS: 'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349',
        TURN_SECRET: 'a-long-shared-secret',
        TURN_CREDENTIAL_HOURS: '2',
        ICE_TRANSPORT_POLICY: 'relay',
        VAPID_PUBLIC_KEY:
          'BB4JFnATu3oXqRc2LBXc9605_75ZA6AY_5y3Zf4WjJraQQB_Swz6kTdpzRN3Qllwkbsr5sTqISfXZ6H7dKot2wc',
        VAPID_PRIVATE_KEY: 'UllIsCGqp1hiYkuSEh1kpa2TSJdueq-zhT_P3PQTMZA',
        VAPID_SUBJECT: 'https://voice.example.org/contact',
        PUSH_SERVICE_HOSTS: 'push.example.net, *.autopush.example.org:8443',
      },
      '/srv',
    );
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 9000,
      publicUrl: 'https://voice.example.org',
      dataDir: '/var/lib/voxreply',
      databaseUrl: 'postgres://u:p@db:5432/vox',
      redisUrl: 'redis://cache:6379',
      mediaPlacement: 'cluster',
      mediasoupWorkers: 3,
      rtcListenIp: '0.0.0.0',
      webRtcServerPort: 45000,
      rtcMinPort: 50000,
      rtcMaxPort: 50100,
      announcedAddress: '203.0.113.7',
      logLevel: 'debug',
      diagnosticsRooms: true,
      trustProxy: ['loopback', '10.0.0.0/8'],
      sipPort: 5070,
      sipTrunks: [
        {
          name: 'carrier',
          host: 'sip.example.net',
          port: 5060,
          transport: 'udp',
          codecs: ['opus', 'G722', 'PCMU', 'PCMA'],
          allowFrom: [],
          optionsIntervalSeconds: 30,
        },
      ],
      sipNumbers: [{ number: '+15550002222', email: 'ada@example.org' }],
      sipTls: {
        port: 5071,
        cert: expect.stringContaining('-----BEGIN CERTIFICATE-----') as string,
        key: expect.stringContaining('-----BEGIN PRIVATE KEY-----') as string,
        ca: expect.stringContaining('-----BEGIN CERTIFICATE-----') as string,
      },
      rateLimitMultiplier: 2.5,
      metricsAllow: ['10.1.2.3'],
      mail: {
        smarthost: 'smtp://relay:secret@smtp.example.org:587',
        from: 'Voice <voice@example.org>',
        hostname: 'voice.example.org',
        relay: {
          host: '0.0.0.0',
          port: 2587,
          tls: {
            cert: expect.stringContaining('-----BEGIN CERTIFICATE-----') as string,
            key: expect.stringContaining('-----BEGIN PRIVATE KEY-----') as string,
          },
          maxMessageBytes: 10 * 1024 * 1024,
        },
        retryDelaysMs: [30_000, 120_000],
        giveUpAfterMs: 24 * 3600 * 1000,
        chatEmailAfterMs: 120_000,
      },
      voicemailMaxSeconds: 120,
      vapidKeys: {
        publicKey:
          'BB4JFnATu3oXqRc2LBXc9605_75ZA6AY_5y3Zf4WjJraQQB_Swz6kTdpzRN3Qllwkbsr5sTqISfXZ6H7dKot2wc',
        privateKey: 'UllIsCGqp1hiYkuSEh1kpa2TSJdueq-zhT_P3PQTMZA',
      },
      vapidSubject: 'https://voice.example.org/contact',
      pushServiceHosts: [
        { host: 'push.example.net', subdomains: false, port: 443 },
        { host: 'autopush.example.org', subdomains: true, port: 8443 },
      ],
      httpIdleTimeoutMs: 45_000,
      httpRequestTimeoutMs: 600_000,
      maxConnectionsPerAddress: 1000,
      secretKey: Buffer.alloc(32, 7),
      ice: {
        stunUrls: ['stun:stun.example.org:3478'],
        turn: {
          urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
          secret: 'a-long-shared-secret',
          credentialTtlMs: 2 * 3600 * 1000,
        },
        transportPolicy: 'relay',
      },
    });
  });

  it('names the variable and the value for each bad value', () => {
    expect(problemsOf({ PORT: 'eighty' })).toEqual(['PORT must be a number (got "eighty")']);
    expect(problemsOf({ PORT: '70000' })).toEqual([
      'PORT must be between 1 and 65535 (got "70000")',
    ]);
    // A signaling-only node needs other nodes to run its calls.
    expect(problemsOf({ MEDIASOUP_WORKERS: '0' })).toEqual([
      'MEDIASOUP_WORKERS may be 0 only with REDIS_URL (the calls of a signaling-only node run on other nodes) (got "0")',
    ]);
    expect(
      problemsOf({ MEDIASOUP_WORKERS: '0', REDIS_URL: 'redis://r', MEDIA_PLACEMENT: 'local' }),
    ).toEqual([
      'MEDIA_PLACEMENT must be \'cluster\' on a node without media workers (MEDIASOUP_WORKERS=0) (got "local")',
    ]);
    expect(problemsOf({ MEDIASOUP_WORKERS: '0', REDIS_URL: 'redis://r' })).toEqual([]);
    expect(problemsOf({ MEDIA_PLACEMENT: 'anywhere' })).toEqual([
      "MEDIA_PLACEMENT must be 'cluster' or 'local' (got \"anywhere\")",
    ]);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })[0]).toMatch(
      /^DATABASE_URL must start with postgres:/,
    );
    expect(problemsOf({ LOG_LEVEL: 'loud' })[0]).toMatch(/^LOG_LEVEL must be one of/);
    expect(problemsOf({ RTC_LISTEN_IP: 'localhost' })[0]).toMatch(/^RTC_LISTEN_IP must be an IPv4/);
    expect(problemsOf({ SIP_TRUNKS: 'not json' })).toEqual([
      'SIP_TRUNKS must be a JSON array of trunks',
    ]);
    expect(problemsOf({ SIP_TRUNKS: '[{"name":"c","host":"h","transport":"tls"}]' })).toEqual([
      'SIP_TRUNKS trunk c uses tls: set SIP_TLS_CERT and SIP_TLS_KEY',
    ]);
    expect(problemsOf({ SIP_TLS_CERT: pemFile('certificate') })).toEqual([
      'SIP_TLS_KEY must be set together with SIP_TLS_CERT and SIP_TLS_KEY',
    ]);
    expect(problemsOf({ SIP_TLS_CERT: '/nowhere.pem', SIP_TLS_KEY: pemFile('key') })[0]).toMatch(
      /^SIP_TLS_CERT cannot be read \(ENOENT/,
    );
    expect(
      problemsOf({ SIP_NUMBERS: '[{"number":"5550002222","email":"ada@example.org"}]' }),
    ).toEqual(['SIP_NUMBERS 0.number: must be an E.164 number such as +15551234567']);
    // A smarthost URL carries a password: named, never echoed.
    expect(problemsOf({ MAIL_SMARTHOST: 'http://u:secret@mail' })).toEqual([
      'MAIL_SMARTHOST must start with smtp:// or smtps://',
    ]);
    expect(problemsOf({ MAIL_RETRY_SECONDS: 'soon' })).toEqual([
      'MAIL_RETRY_SECONDS must be a comma-separated list of seconds (got "soon")',
    ]);
    expect(problemsOf({ CHAT_EMAIL_AFTER_SECONDS: '0' })).toEqual([
      'CHAT_EMAIL_AFTER_SECONDS must be at least 1 (got "0")',
    ]);
    expect(problemsOf({ SMTP_TLS_KEY: pemFile('key') })).toEqual([
      'SMTP_TLS_CERT must be set together with SMTP_TLS_CERT and SMTP_TLS_KEY',
    ]);
    // Connection URLs carry passwords: named, never echoed.
    expect(problemsOf({ REDIS_URL: 'http://:secret@cache' })).toEqual([
      'REDIS_URL must start with redis:// or rediss://',
    ]);
    expect(problemsOf({ DATABASE_URL: 'mysql://u:secret@db' })).toEqual([
      'DATABASE_URL must start with postgres:// or postgresql://',
    ]);
    // A bad secret is named but never echoed.
    expect(problemsOf({ SECRET_KEY: 'c2hvcnQ=' })).toEqual([
      'SECRET_KEY must be 32 bytes in base64 (openssl rand -base64 32)',
    ]);
  });

  it('checks values against each other', () => {
    expect(problemsOf({ RTC_MIN_PORT: '5000', RTC_MAX_PORT: '4000' })).toEqual([
      'RTC_MIN_PORT must not be greater than RTC_MAX_PORT (4000) (got "5000")',
    ]);
    expect(problemsOf({ WEBRTC_SERVER_PORT: '40010', MEDIASOUP_WORKERS: '2' })).toEqual([
      'WEBRTC_SERVER_PORT must not overlap RTC_MIN_PORT-RTC_MAX_PORT (40000-49999) (got "40010")',
    ]);
    expect(problemsOf({ RTC_LISTEN_IP: '0.0.0.0' })[0]).toMatch(
      /^ANNOUNCED_ADDRESS is required when RTC_LISTEN_IP is 0\.0\.0\.0/,
    );
    // TURN needs coturn's secret (never echoed); relay-only needs TURN.
    expect(problemsOf({ TURN_URLS: 'turn:turn.example.org' })).toEqual([
      "TURN_SECRET is required with TURN_URLS (coturn's static-auth-secret)",
    ]);
    expect(problemsOf({ ICE_TRANSPORT_POLICY: 'relay' })).toEqual([
      'ICE_TRANSPORT_POLICY relay needs a TURN server: set TURN_URLS and TURN_SECRET (got "relay")',
    ]);
    expect(
      problemsOf({ TURN_URLS: 'http://turn.example.org', TURN_SECRET: 'x'.repeat(16) }),
    ).toEqual([
      'TURN_URLS must be a comma-separated list of turn: or turns: URLs (got "http://turn.example.org")',
    ]);
    expect(problemsOf({ STUN_URLS: 'turn:x', TURN_SECRET: 'short' })).toEqual([
      'STUN_URLS must be a comma-separated list of stun: or stuns: URLs (got "turn:x")',
      'TURN_SECRET must be at least 16 characters',
    ]);
  });

  it('lets only loopback read /metrics unless METRICS_ALLOW names others', () => {
    expect(loadConfig({}, '/srv').metricsAllow).toEqual(['loopback']);
    expect(loadConfig({ METRICS_ALLOW: '10.0.0.0/8, 2001:db8::1' }, '/srv').metricsAllow).toEqual([
      '10.0.0.0/8',
      '2001:db8::1',
    ]);
    expect(problemsOf({ METRICS_ALLOW: 'prometheus.local' })).toEqual([
      'METRICS_ALLOW must be a comma-separated list of addresses, subnets or loopback/linklocal/uniquelocal (invalid IP address: prometheus.local) (got "prometheus.local")',
    ]);
    expect(problemsOf({ METRICS_ALLOW: '10.0.0.0/33' })).toHaveLength(1);
    expect(problemsOf({ METRICS_ALLOW: ' , ' })).toEqual([
      'METRICS_ALLOW must name at least one address (got " , ")',
    ]);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ PORT: 'x', LOG_LEVEL: 'y' })).toHaveLength(2);
  });

  it('stops the server at start-up with a message naming the variable', () => {
    const result = spawnSync(process.execPath, [path.join(projectRoot, 'dist/server/main.js')], {
      env: { PATH: process.env.PATH, PORT: 'not-a-port', DATA_DIR: '/nonexistent' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('PORT must be a number (got "not-a-port")');
  });
});
