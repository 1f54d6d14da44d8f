// GET /healthz
import { z } from 'zod';

export const healthResponseSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  mediasoup: z.object({ workers: z.number().int().nonnegative() }),
});

export type HealthResponse = z.infer<typeof healthResponseSchema>;
