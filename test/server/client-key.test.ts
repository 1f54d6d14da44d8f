// The key per-address bounds count under (issue 16): an IPv6 /64 is one
// client, an IPv4-mapped address is its IPv4 address, and the rate limits and
// password checks use the key whatever address form their callers pass.
import { describe, expect, it } from 'vitest';
import { clientKey } from '../../server/security/client-key.js';
import { PasswordChecks, TooManyChecksError } from '../../server/security/password-checks.js';
import { RateLimits } from '../../server/security/rate-limits.js';

describe('clientKey', () => {
  it('keeps IPv4 as it is and maps IPv4-mapped IPv6 to it', () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('::FFFF:c000:0207')).toBe('192.0.2.7');
  });

  it('keys other IPv6 addresses by their /64, however written', () => {
    const key = clientKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    for (const sameNetwork of [
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:0DB8:0001:0002:0000:0000:0000:0042',
      '2001:db8:1:2:a:b:c:d',
    ])
      expect(clientKey(sameNetwork), sameNetwork).toBe(key);
    expect(clientKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientKey('::1')).toBe('::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80::/64');
  });

  it('passes anything that is not an address through', () => {
    expect(clientKey('unknown')).toBe('unknown');
    expect(clientKey('')).toBe('');
  });
});

describe('bounds keyed by client', () => {
  it('rate limits per address count one /64 once, and other keys exactly', async () => {
    const limits = new RateLimits();
    // signUpPerIp allows 5 in 10 minutes: spread over five addresses of one /64.
    for (let i = 1; i <= 5; i++) await limits.take(limits.signUpPerIp, `2001:db8:7:7::${i}`);
    await expect(limits.take(limits.signUpPerIp, '2001:db8:7:7::99')).rejects.toMatchObject({
      code: 'rate_limited',
    });
    // Another /64 and the IPv4 world are others.
    await limits.take(limits.signUpPerIp, '2001:db8:7:8::1');
    for (let i = 0; i < 5; i++) await limits.take(limits.signUpPerIp, '::ffff:198.51.100.1');
    await expect(limits.take(limits.signUpPerIp, '198.51.100.1')).rejects.toMatchObject({
      code: 'rate_limited',
    });
    // A point refunded from another address of the /64 is the /64's.
    const fresh = new RateLimits();
    for (let i = 1; i <= 5; i++)
      expect(await fresh.reserve(fresh.signUpPerIp, `2001:db8:9:9::${i}`)).toBe(true);
    await fresh.refund(fresh.signUpPerIp, '2001:db8:9:9::1234');
    expect(await fresh.reserve(fresh.signUpPerIp, '2001:db8:9:9::6')).toBe(true);
  });

  it('password checks in flight count one /64 once', async () => {
    const checks = new PasswordChecks({ perKey: 2, concurrent: 10, queued: 10 });
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = [checks.run('2001:db8::1', () => held), checks.run('2001:db8::2', () => held)];
    await expect(checks.run('2001:db8::3', () => Promise.resolve())).rejects.toBeInstanceOf(
      TooManyChecksError,
    );
    // Another /64 is not held up.
    await checks.run('2001:db8:0:1::1', () => Promise.resolve());
    release();
    await Promise.all(running);
  });
});
