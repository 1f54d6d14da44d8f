// What every copy the relay builds must satisfy, whatever message came in
// (issue 16): shared by the property test and the malformed corpus.
import { expect } from 'vitest';
import { withoutBccHeader } from '../../server/mail/raw-headers.js';
import { mimeTree, type TreeNode } from '../support/mime-tree.js';
import { relayCopy, testDevice, type RelayedCopy } from './relay-pipeline.js';

const TEXT_DEVICE = testDevice.text;
const HTML_MARK = 'data-voxreply-device';
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;
const structure = (tree: TreeNode[]) =>
  tree.map((node) => [node.path, node.contentType, node.charset, node.encoding, node.filename]);

/** Whether `edited` is `original` with one device added as insertDevice adds it. */
function isDeviceEdit(original: Buffer, edited: Buffer): boolean {
  const before = original.toString('latin1');
  const after = edited.toString('latin1');
  const text = after.lastIndexOf(TEXT_DEVICE);
  if (text >= 0 && count(after, TEXT_DEVICE) === 1) {
    const prefix = after.slice(0, text);
    const suffix = after.slice(text + TEXT_DEVICE.length);
    const separators = ['\n', '\r\n', '\n\n', '\r\n\r\n'];
    return separators.some((s) => prefix === before + s) && /^(\r?\n)?$/.test(suffix);
  }
  const html = /\r?\n<table role="presentation" data-voxreply-device[\s\S]*?<\/table>\r?\n/.exec(
    after,
  );
  if (!html || count(after, HTML_MARK) !== 1) return false;
  return after.slice(0, html.index) + after.slice(html.index + html[0].length) === before;
}

/**
 * Relays `raw` in-process and checks the copy:
 * - a message the splitter cannot give back byte for byte goes out exactly as
 *   submitted, minus its Bcc header, and without a device;
 * - otherwise the copy parses to the same tree, every part that is not the
 *   device's own edit decodes byte-identical, an edited part is its original
 *   plus the device and nothing else, and each rendering (HTML, text) shows
 *   exactly one device when the message takes one, none when it does not;
 * - no Bcc header goes out.
 */
export async function expectRelayKeepsMessage(raw: Buffer): Promise<RelayedCopy> {
  const copy = await relayCopy(raw);
  if (copy.facts.notRoundTripping !== undefined) {
    expect(copy.device).toBe(false);
    expect(copy.output.equals(withoutBccHeader(raw))).toBe(true);
    return copy;
  }
  const before = await mimeTree(raw);
  const after = await mimeTree(copy.output);
  expect(structure(after)).toEqual(structure(before));
  const edited = { html: 0, text: 0 };
  before.forEach((node, i) => {
    const out = after[i] as TreeNode;
    if (out.content.equals(node.content)) return;
    // Only an unsealed leaf may change, and only by the device.
    expect(node.sealed, `sealed part ${node.path} changed`).toBe(false);
    expect(isDeviceEdit(node.content, out.content), `part ${node.path}`).toBe(true);
    edited[out.content.includes(HTML_MARK) ? 'html' : 'text'] += 1;
  });
  expect(edited.html).toBe(copy.device && copy.facts.insertable.html ? 1 : 0);
  expect(edited.text).toBe(copy.device && copy.facts.insertable.text ? 1 : 0);
  const headerEnd = copy.output.indexOf('\r\n\r\n');
  expect(copy.output.subarray(0, headerEnd).toString()).not.toMatch(/^Bcc:/im);
  return copy;
}
