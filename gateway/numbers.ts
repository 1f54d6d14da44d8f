// Inbound numbers (DIDs) from configuration: JSON in SIP_NUMBERS, validated.
// Each rings one sender's devices, found by the account's email.
import { z } from 'zod';
import { e164Schema } from '../protocol/phones.js';

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
  if (!json) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('must be a JSON array of {"number": "+1555...", "email": "..."}');
  }
  const parsed = numbersSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'numbers'}: ${issue.message}`)
        .join('; '),
    );
  }
  return parsed.data;
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
