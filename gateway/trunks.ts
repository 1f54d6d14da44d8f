// SIP trunks (carriers) from configuration: JSON in SIP_TRUNKS, validated.
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseJsonList } from './json-list.js';

export const trunkSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, _ or -'),
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(5060),
  /** tls needs SIP_TLS_CERT and SIP_TLS_KEY (the configuration checks). */
  transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
  username: z.string().max(128).optional(),
  password: z.string().max(256).optional(),
  /** E.164 number shown to the called phone. */
  callerId: z
    .string()
    .regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 number (+15551234567)')
    .optional(),
  codecs: z
    .array(z.enum(['opus', 'G722', 'PCMU', 'PCMA']))
    .min(1)
    .default(['opus', 'G722', 'PCMU', 'PCMA']),
  /**
   * Credentials the carrier (or PBX) signs its INVITEs to us with, when its
   * addresses cannot be listed in allowFrom: we answer 407 and check them.
   */
  inbound: z
    .object({ username: z.string().min(1).max(128), password: z.string().min(8).max(256) })
    .optional(),
  /** Addresses allowed to send inbound calls from this trunk (IPs). */
  allowFrom: z
    .array(z.string().refine((ip) => isIP(ip) !== 0, 'must be an IP address'))
    .default([]),
  /**
   * Seconds between OPTIONS pings; 0 for carriers that ignore OPTIONS: never
   * pinged, up from the start and judged by their answers to our INVITEs.
   */
  optionsIntervalSeconds: z
    .number()
    .int()
    .min(0, 'must be 0 (never ping) or more seconds')
    .max(3600)
    .default(30),
});

export type Trunk = z.infer<typeof trunkSchema>;

export const trunksSchema = z
  .array(trunkSchema)
  .refine(
    (trunks) => new Set(trunks.map((t) => t.name)).size === trunks.length,
    'trunk names must be unique',
  );

/** Parses SIP_TRUNKS; throws an Error whose message names the problem. */
export function parseTrunks(json: string | undefined): Trunk[] {
  return parseJsonList(json, trunksSchema, { name: 'trunks', shape: 'trunks' });
}
