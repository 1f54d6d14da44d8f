// Property: whatever MIME tree a sender's message has (issue 16), the copy the
// relay builds keeps it (the invariants are in relay-invariants.ts). Random
// trees from mime-arbitrary.ts go through the relay's own two passes
// in-process. Seeded, a bounded number of runs: reproducible, ~10 seconds.
// To replay a failure, fast-check prints the seed and path to pass here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageArbitrary, writeMessage } from './mime-arbitrary.js';
import { expectRelayKeepsMessage } from './relay-invariants.js';

const SEED = 160_016;
const RUNS = 1000;

describe('the relay keeps any MIME tree (property)', () => {
  it('copies parse to the same tree, with one device per rendering and nothing else changed', async () => {
    let asSubmitted = 0;
    let withDevice = 0;
    await fc.assert(
      fc.asyncProperty(messageArbitrary, async (shape) => {
        const copy = await expectRelayKeepsMessage(writeMessage(shape));
        if (copy.facts.notRoundTripping !== undefined) asSubmitted += 1;
        if (copy.device) withDevice += 1;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The generator reaches both paths (a change to it that stops doing so is a bug).
    expect(asSubmitted).toBeGreaterThan(0);
    expect(withDevice).toBeGreaterThan(RUNS / 10);
  });
});
