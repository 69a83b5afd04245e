import type { FileHandle } from 'node:fs/promises';
import { UnsafePathError } from './unsafe-path-error.js';

/** Reads a whole open file of at most `maxBytes`; a larger (or growing) one is refused, never read whole. */
export async function readCapped(handle: FileHandle, maxBytes: number, where: string, knownSize?: number): Promise<Buffer> {
  const size = knownSize ?? (await handle.stat()).size;
  if (size > maxBytes) throw new UnsafePathError(where, 'too-large');
  const chunks: Buffer[] = [];
  let total = 0;
  // The first read is sized from fstat (+1 to see growth); a short read of a regular file
  // is its end, so a file that did not grow costs one read.
  for (let want = size + 1; ; want = 64 * 1024) {
    const chunk = Buffer.allocUnsafe(Math.max(1, Math.min(want, maxBytes + 1 - total)));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) throw new UnsafePathError(where, 'too-large');
    if (bytesRead < chunk.length) break;
  }
  return chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks, total);
}
