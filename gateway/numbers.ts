// Inbound numbers (DIDs) from configuration: JSON in SIP_NUMBERS, validated.
// Each rings one sender's devices, found by the account's email.
import { z } from 'zod';
import { e164Schema } from '../protocol/phones.js';
import { parseJsonList } from './json-list.js';

export const inboundNumberSchema = z.object({
  number: e164Schema,
  /** The sender's account email. */
  email: z.email().max(254),
});

export type InboundNumber = z.infer<typeof inboundNumberSchema>;

const numbersSchema = z
  .array(inboundNumberSchema)
  .refine(
    (numbers) => new Set(numbers.map((n) => n.number)).size === numbers.length,
    'each number only once',
  );

/** Parses SIP_NUMBERS; throws an Error whose message names the problem. */
export function parseInboundNumbers(json: string | undefined): InboundNumber[] {
  return parseJsonList(json, numbersSchema, {
    name: 'numbers',
    shape: '{"number": "+1555...", "email": "..."}',
  });
}

/**
 * The E.164 form of a Request-URI user part: carriers send "+15551234567",
 * "15551234567" or "tel"-style digits with visual separators.
 */
export function normalizeNumber(user: string | undefined): string | undefined {
  if (!user) return undefined;
  const digits = user.replace(/[\s().-]/g, '');
  if (/^\+[1-9][0-9]{6,14}$/.test(digits)) return digits;
  if (/^[1-9][0-9]{6,14}$/.test(digits)) return `+${digits}`;
  return undefined;
}
