// Which push services the server stores subscriptions for and sends to
// (PUSH_SERVICE_HOSTS): the host matching, the setting's parsing, and the
// subscriptions the sender reads (those at other hosts are never sent to).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import {
  BROWSER_PUSH_SERVICES,
  endpointProblem,
  parsePushServiceHosts,
  SendablePushSubscriptions,
} from '../../server/push/push-endpoints.js';
import { AccountStore } from '../../server/store/account-store.js';
import { migrateToLatest, openDatabase, storeLocation } from '../../server/store/database.js';
import { DeviceStore } from '../../server/store/device-store.js';
import type { Database } from '../../server/store/schema.js';

const refused = (host: string) => `this push service is not one Voxreply sends to: ${host}`;

describe('the browsers’ push services (the default)', () => {
  const problem = (endpoint: string) => endpointProblem(endpoint, BROWSER_PUSH_SERVICES);

  it('takes the endpoints browsers give', () => {
    for (const endpoint of [
      'https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH',
      'https://fcm.googleapis.com/wp/dGVzdA',
      'https://jmt17.google.com/fcm/send/dGVzdA',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk',
      'https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB',
      'https://web.push.apple.com/QGsU3E0f',
      // The default port, spelled out; host names in any case.
      'https://fcm.googleapis.com:443/fcm/send/x',
      'https://WEB.Push.Apple.com/x',
    ])
      expect(problem(endpoint), endpoint).toBeUndefined();
  });

  it('refuses every other host, address and port', () => {
    const refusals: [string, string][] = [
      ['https://evil.example/push', 'evil.example'],
      ['https://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal'],
      // A look-alike, a suffix that is not a subdomain, a base without a subdomain.
      ['https://fcm.googleapis.com.evil.example/x', 'fcm.googleapis.com.evil.example'],
      ['https://evilpush.apple.com/x', 'evilpush.apple.com'],
      ['https://push.apple.com/x', 'push.apple.com'],
      ['https://googleapis.com/x', 'googleapis.com'],
      // A trailing dot is another name as far as the list goes.
      ['https://fcm.googleapis.com./x', 'fcm.googleapis.com.'],
      // Addresses, however written (URL makes 0x7f.1 and 2130706433 127.0.0.1).
      ['https://169.254.169.254/latest/meta-data/', '169.254.169.254'],
      ['https://10.0.0.1/push', '10.0.0.1'],
      ['https://0x7f.1/push', '127.0.0.1'],
      ['https://2130706433/push', '127.0.0.1'],
      ['https://[::1]/push', '[::1]'],
      ['https://[::ffff:a9fe:a9fe]/push', '[::ffff:a9fe:a9fe]'],
      // The right host on another port.
      ['https://fcm.googleapis.com:8443/fcm/send/x', 'fcm.googleapis.com:8443'],
      ['https://web.push.apple.com:444/x', 'web.push.apple.com:444'],
    ];
    for (const [endpoint, host] of refusals)
      expect(problem(endpoint), endpoint).toBe(refused(host));
  });

  it('refuses a host with escapes, read one way here and another by the sender', () => {
    // new URL() reads %2E as a dot (an allowed subdomain); web-push's url.parse() ends the
    // host there and would connect to 127.0.0.2.
    for (const endpoint of [
      'https://127.0.0.2%2Eweb.push.apple.com/x',
      'https://10.0.0.5%2eupdates.push.services.mozilla.com/x',
      'https://internal.corp%2E%6Dweb.push.apple.com/x',
      'https://fcm.googleapis.com%2E/x',
    ])
      expect(problem(endpoint), endpoint).toBe('the endpoint’s host is not a plain host name');
  });

  it('refuses what is not https, or carries credentials', () => {
    expect(problem('http://fcm.googleapis.com/fcm/send/x')).toBe(
      'the endpoint is not an https URL',
    );
    expect(problem('not a url')).toBe('the endpoint is not a URL');
    expect(problem('https://user:secret@fcm.googleapis.com/fcm/send/x')).toBe(
      'the endpoint carries a user name or password',
    );
  });
});

describe('PUSH_SERVICE_HOSTS', () => {
  it('names hosts, subdomains (*. or .) and ports; an address only as itself', () => {
    const allowed = parsePushServiceHosts(
      ' push.example.net, *.autopush.example.org , .wns.example.com:8443, 127.0.0.1:9443, [::1]:9444',
    );
    expect(allowed).toEqual([
      { host: 'push.example.net', subdomains: false, port: 443 },
      { host: 'autopush.example.org', subdomains: true, port: 443 },
      { host: 'wns.example.com', subdomains: true, port: 8443 },
      { host: '127.0.0.1', subdomains: false, port: 9443 },
      { host: '[::1]', subdomains: false, port: 9444 },
    ]);
    const problem = (endpoint: string) => endpointProblem(endpoint, allowed);
    expect(problem('https://push.example.net/send/1')).toBeUndefined();
    expect(problem('https://a.b.autopush.example.org/wpush/v2/1')).toBeUndefined();
    expect(problem('https://eu.wns.example.com:8443/w/1')).toBeUndefined();
    expect(problem('https://127.0.0.1:9443/push/1')).toBeUndefined();
    expect(problem('https://[::1]:9444/push/1')).toBeUndefined();

    expect(problem('https://eu.push.example.net/send/1')).toBe(refused('eu.push.example.net'));
    expect(problem('https://autopush.example.org/1')).toBe(refused('autopush.example.org'));
    expect(problem('https://eu.wns.example.com/w/1')).toBe(refused('eu.wns.example.com'));
    expect(problem('https://127.0.0.1/push/1')).toBe(refused('127.0.0.1'));
    expect(problem('https://127.0.0.1:9444/push/1')).toBe(refused('127.0.0.1:9444'));
    // Set, it replaces the browsers' list.
    expect(problem('https://fcm.googleapis.com/fcm/send/x')).toBe(refused('fcm.googleapis.com'));
  });

  it('never lets a wildcard match an address', () => {
    // `*.0.0.1` would otherwise take 127.0.0.1.
    expect(() => parsePushServiceHosts('*.0.0.1')).toThrow(/a wildcard needs a domain/);
    // URL reads 0.1 as the address 0.0.0.1.
    expect(() => parsePushServiceHosts('.0.1')).toThrow(/a wildcard needs a domain/);
    expect(() => parsePushServiceHosts('*.com')).toThrow(/a wildcard needs a domain/);
  });

  it('stops the server naming the variable and the entry that is not a host', () => {
    const problemsOf = (value: string): string[] => {
      try {
        loadConfig({ PUSH_SERVICE_HOSTS: value }, '/srv');
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    for (const bad of [
      'https://fcm.googleapis.com',
      'fcm.googleapis.com/fcm',
      'user@fcm.googleapis.com',
      'fcm.googleapis.com:99999',
      '*.',
      '**.example.com',
      'a.example, ,*.0.0.1',
    ])
      expect(problemsOf(bad)[0], bad).toMatch(/^PUSH_SERVICE_HOSTS has ".*", which is not a host/);
    expect(problemsOf(' , ')[0]).toMatch(/^PUSH_SERVICE_HOSTS must name at least one/);
    expect(loadConfig({}, '/srv').pushServiceHosts).toEqual(BROWSER_PUSH_SERVICES);
    expect(
      loadConfig({ PUSH_SERVICE_HOSTS: 'Push.Example.NET:443' }, '/srv').pushServiceHosts,
    ).toEqual([{ host: 'push.example.net', subdomains: false, port: 443 }]);
  });
});

describe('the subscriptions the sender reads', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'voxreply-push-endpoints-'));
  let db: Kysely<Database> | undefined;

  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are those at an allowed push service: a device with another counts as not subscribed', async () => {
    db = openDatabase(storeLocation(dir, undefined));
    await migrateToLatest(db);
    const ada = (
      await new AccountStore(db).register({
        email: 'ada@example.org',
        displayName: 'Ada',
        passwordHash: 'x',
      })
    ).id;
    const devices = new DeviceStore(db);
    for (const deviceId of ['laptop', 'phone'])
      await devices.upsert(ada, { deviceId, label: deviceId, platform: '' });
    const keys = { p256dh: `B${'x'.repeat(86)}`, auth: 'a'.repeat(22) };
    const subscriptions = new SendablePushSubscriptions(
      db,
      parsePushServiceHosts('push.example.net'),
      createLogger('silent'),
    );
    // Stored before PUSH_SERVICE_HOSTS narrowed (the store itself checks nothing).
    await subscriptions.put(ada, 'laptop', { endpoint: 'https://push.example.net/1', keys });
    await subscriptions.put(ada, 'phone', { endpoint: 'https://10.0.0.7/internal', keys });

    expect((await subscriptions.list(ada)).map((s) => s.deviceId)).toEqual(['laptop']);
    expect(await subscriptions.list(ada, ['phone'])).toEqual([]);
    expect(await subscriptions.devicesWithSubscription(ada)).toEqual(new Set(['laptop']));
  });
});
