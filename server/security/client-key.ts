// The key a client address is counted under by every per-address bound:
// failed log-ins, password checks, rate limits, connection caps (issue 16).
// An IPv6 subscriber is given a whole /64 (RFC 6177 and every ISP's practice)
// and may use any of its 2^64 addresses: keyed by the exact address, each new
// address was a fresh allowance. IPv4 stays as it is, and an IPv4 address seen
// on a dual-stack socket (::ffff:192.0.2.1) counts as that IPv4 address.
import ipaddr from 'ipaddr.js';

/** Bits of an IPv6 address that name one subscriber's network. */
const IPV6_SUBSCRIBER_PREFIX = 64;

/**
 * The address as a counting key: IPv4 as is, IPv4-mapped IPv6 as its IPv4,
 * other IPv6 as its /64 (`2001:db8:1:2::/64`). Anything else (`unknown`, a
 * Unix socket's path) is returned unchanged.
 */
export function clientKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const bytes = v6
    .toByteArray()
    .map((byte, index) => (index < IPV6_SUBSCRIBER_PREFIX / 8 ? byte : 0));
  return `${ipaddr.fromByteArray(bytes).toString()}/${IPV6_SUBSCRIBER_PREFIX}`;
}
