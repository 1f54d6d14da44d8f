// The hand-made malformed corpus (malformed-corpus.ts) through the relay's two
// passes in-process, under the same invariants as the property test.
import { describe, expect, it } from 'vitest';
import { MALFORMED, type MalformedMessage } from './malformed-corpus.js';
import { expectRelayKeepsMessage } from './relay-invariants.js';

describe('malformed mail keeps every byte of the sender', () => {
  it.each(MALFORMED.map((message) => [message.name, message] as const))(
    '%s',
    async (_name, message: MalformedMessage) => {
      const copy = await expectRelayKeepsMessage(message.raw);
      const outcome =
        copy.facts.notRoundTripping !== undefined
          ? 'as submitted'
          : copy.device
            ? 'device'
            : 'no device';
      expect(outcome).toBe(message.expect);
    },
  );
});
