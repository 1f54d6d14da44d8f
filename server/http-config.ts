// The HTTP server's settings (issue 16): whose forwarded addresses to believe,
// who may read /metrics, and the deadlines and caps against slow and many
// connections. Part of config.ts's environment schema and of its Config.
import proxyAddr from '@fastify/proxy-addr';
import { z } from 'zod';

/** A comma-separated list, blanks dropped. */
const list = (value: string) =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** Spread into config.ts's environment schema. */
export const httpEnvironment = {
  TRUST_PROXY: z
    .string()
    .regex(/^[0-9A-Za-z.:/, -]+$/, 'must be a comma-separated list of proxy addresses or subnets')
    .optional(),
  // Who may read /metrics: what proxy-addr (TRUST_PROXY's parser) accepts.
  METRICS_ALLOW: z
    .string()
    .transform(list)
    .superRefine((entries, context) => {
      if (entries.length === 0) {
        context.addIssue({ code: 'custom', message: 'must name at least one address' });
        return;
      }
      try {
        proxyAddr.compile(entries);
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: `must be a comma-separated list of addresses, subnets or loopback/linklocal/uniquelocal (${error instanceof Error ? error.message : String(error)})`,
        });
      }
    })
    .default(['loopback']),
  // Slow and many connections (issue 16): a stalled request is answered 408
  // and closed; one address may hold so many connections (NAT: many people).
  HTTP_IDLE_TIMEOUT_SECONDS: z.coerce
    .number({ message: 'must be a number' })
    .min(1, 'must be at least 1')
    .max(600, 'must be at most 600')
    .default(30),
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce
    .number({ message: 'must be a number' })
    .min(1, 'must be at least 1')
    .max(3600, 'must be at most 3600')
    .default(120),
  MAX_CONNECTIONS_PER_ADDRESS: z.coerce
    .number({ message: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(100_000, 'must be at most 100000')
    .default(256),
};

type HttpEnvironment = z.infer<z.ZodObject<typeof httpEnvironment>>;

export interface HttpConfig {
  /**
   * Proxies whose X-Forwarded-For is believed (addresses, subnets, or
   * loopback/linklocal/uniquelocal); empty: the peer address is the client.
   */
  trustProxy: string[];
  /** Client addresses (after TRUST_PROXY) that may read /metrics. */
  metricsAllow: string[];
  /** HTTP: how long a request may stall, and take in all, before a 408; connections per address. */
  httpIdleTimeoutMs: number;
  httpRequestTimeoutMs: number;
  maxConnectionsPerAddress: number;
}

/** The parsed settings as Config carries them. */
export function httpConfig(e: HttpEnvironment): HttpConfig {
  return {
    trustProxy: list(e.TRUST_PROXY ?? ''),
    metricsAllow: e.METRICS_ALLOW,
    httpIdleTimeoutMs: e.HTTP_IDLE_TIMEOUT_SECONDS * 1000,
    httpRequestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
  };
}
