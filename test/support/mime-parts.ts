// The leaf parts of a raw message, decoded from their transfer encodings, in
// order: what a reader's mail program would show or save.
import { Splitter } from '@zone-eu/mailsplit';
import { Readable } from 'node:stream';

export interface LeafPart {
  contentType: string;
  charset: string | undefined;
  encoding: string;
  filename: string | undefined;
  /** Inside a forwarded (message/rfc822) message. */
  forwarded: boolean;
  content: Buffer;
}

type MimeNode = InstanceType<typeof import('@zone-eu/mailsplit').MimeNode>;

export async function leafParts(raw: Buffer): Promise<LeafPart[]> {
  const parts: { node: MimeNode; chunks: Buffer[] }[] = [];
  const splitter = Readable.from([raw]).pipe(new Splitter());
  for await (const chunk of splitter as AsyncIterable<{
    type: string;
    node?: MimeNode;
    value?: Buffer;
  }>) {
    if (chunk.type === 'node') {
      const node = chunk as unknown as MimeNode;
      if (!node.multipart && !node.rfc822) parts.push({ node, chunks: [] });
    } else if (chunk.type === 'body' && chunk.value) {
      const last = parts.at(-1);
      if (last && chunk.node === last.node) last.chunks.push(chunk.value);
    }
  }
  return Promise.all(
    parts.map(async ({ node, chunks }) => {
      const decoder = node.getDecoder();
      const decoded: Buffer[] = [];
      decoder.on('data', (data: Buffer) => decoded.push(data));
      const done = new Promise((resolve) => decoder.on('end', resolve));
      decoder.end(Buffer.concat(chunks));
      await done;
      let forwarded = false;
      for (let parent = node.parentNode; parent; parent = parent.parentNode)
        forwarded ||= parent.rfc822;
      return {
        contentType: node.contentType || 'text/plain',
        charset: node.charset || undefined,
        encoding: node.encoding || '7bit',
        filename: node.filename || undefined,
        forwarded,
        content: Buffer.concat(decoded),
      };
    }),
  );
}
