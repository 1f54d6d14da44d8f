// The relay's two passes in-process, as the delivery queue runs them: inspect
// the message once (facts, the split/join round trip), then build one copy
// with a device, or the message as submitted (minus Bcc) when the splitter
// would change it. For tests that need no server.
import type { RenderedDevice } from '../../server/mail/device.js';
import { readAll, rewriteMessage } from '../../server/mail/message-rewriter.js';
import { withoutBccHeader } from '../../server/mail/raw-headers.js';
import {
  editsForCopy,
  inspectMessage,
  takesDevice,
  type MessageFacts,
} from '../../server/mail/relay-edits.js';
import { Readable } from 'node:stream';

export const REPLY_PREFIX = 'https://voxreply.example/r/';

export const testDevice: RenderedDevice = {
  html: '<table role="presentation" data-voxreply-device="1"><tr><td><a href="https://voxreply.example/r/TOKEN">Reply by voice</a></td></tr></table>',
  text: 'Reply by voice: https://voxreply.example/r/TOKEN',
};

export interface RelayedCopy {
  facts: MessageFacts;
  /** Whether the copy carries a device (so a link would be minted). */
  device: boolean;
  output: Buffer;
}

export async function relayCopy(raw: Buffer): Promise<RelayedCopy> {
  const facts = await inspectMessage(raw, REPLY_PREFIX);
  if (facts.notRoundTripping !== undefined)
    return { facts, device: false, output: withoutBccHeader(raw) };
  const device = takesDevice(facts);
  const output = await readAll(
    rewriteMessage(
      Readable.from([raw]),
      editsForCopy({
        device: device ? testDevice : undefined,
        messageId: '<copy@relay.example>',
        date: new Date('2026-12-01T00:00:00Z'),
        bodyParts: facts.bodyParts,
      }),
    ),
  );
  return { facts, device, output };
}
