// A list given as JSON in one setting (SIP_TRUNKS, SIP_NUMBERS), validated.
import type { z } from 'zod';

/**
 * Parses `json` (unset: an empty list) with `schema`; throws an Error whose
 * message names each problem by its path ("0.port: ...").
 */
export function parseJsonList<T>(
  json: string | undefined,
  schema: z.ZodType<T[]>,
  what: { name: string; shape: string },
): T[] {
  if (!json) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error(`must be a JSON array of ${what.shape}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues
        .map((issue) => `${issue.path.join('.') || what.name}: ${issue.message}`)
        .join('; '),
    );
  }
  return parsed.data;
}
