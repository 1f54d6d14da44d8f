// Settings for a server under a benchmark's load: every simulated user
// connects from this one machine's address, so the per-address protections a
// real deployment needs (rate limits, the connection cap) are lifted here.
export const LOAD_SETTINGS = {
  RATE_LIMIT_MULTIPLIER: '10000',
  MAX_CONNECTIONS_PER_ADDRESS: '100000',
} as const;
