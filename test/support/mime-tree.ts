// A raw message's MIME tree as mailsplit reads it: every node with its place
// (path of child indexes), its declared type, charset, transfer encoding and
// filename, and each leaf's content decoded from its transfer encoding. Two
// messages with equal trees (content aside) have the same structure.
import { Splitter } from '@zone-eu/mailsplit';
import { Readable } from 'node:stream';

type MimeNode = InstanceType<typeof import('@zone-eu/mailsplit').MimeNode>;

export interface TreeNode {
  path: string;
  contentType: string;
  charset: string;
  encoding: string;
  filename: string;
  multipart: string;
  /** Decoded leaf content (empty for a multipart or an embedded message node). */
  content: Buffer;
  /** Inside an embedded (message/rfc822) message or a signed part. */
  sealed: boolean;
}

interface Chunk {
  type: string;
  node?: MimeNode;
  value?: Buffer;
}

export async function mimeTree(raw: Buffer): Promise<TreeNode[]> {
  // Keyed by identity only: the parent links are typed as a shape, not the class.
  const paths = new Map<object, string>();
  const childCount = new Map<object, number>();
  const nodes: { node: MimeNode; chunks: Buffer[] }[] = [];
  for await (const chunk of Readable.from([raw]).pipe(new Splitter()) as AsyncIterable<Chunk>) {
    if (chunk.type === 'node') {
      const node = chunk as unknown as MimeNode;
      const parent = node.parentNode || undefined;
      const index = parent ? (childCount.get(parent) ?? 0) : 0;
      if (parent) childCount.set(parent, index + 1);
      paths.set(node, parent ? `${paths.get(parent) ?? '?'}.${index}` : 'root');
      nodes.push({ node, chunks: [] });
    } else if (chunk.type === 'body' && chunk.value && chunk.node) {
      nodes.find((entry) => entry.node === chunk.node)?.chunks.push(chunk.value);
    }
  }
  return Promise.all(
    nodes.map(async ({ node, chunks }) => {
      let sealed = false;
      for (let parent = node.parentNode; parent; parent = parent.parentNode)
        sealed ||= parent.rfc822 || parent.multipart === 'signed';
      return {
        path: paths.get(node) ?? '?',
        contentType: node.contentType || '',
        charset: node.charset || '',
        encoding: node.encoding || '',
        filename: node.filename || '',
        multipart: node.multipart || '',
        content: await decode(node, Buffer.concat(chunks)),
        sealed,
      };
    }),
  );
}

async function decode(node: MimeNode, raw: Buffer): Promise<Buffer> {
  const decoder = node.getDecoder();
  const out: Buffer[] = [];
  decoder.on('data', (data: Buffer) => out.push(data));
  const done = new Promise((resolve, reject) => {
    decoder.on('end', resolve);
    decoder.on('error', reject);
  });
  decoder.end(raw);
  await done;
  return Buffer.concat(out);
}
