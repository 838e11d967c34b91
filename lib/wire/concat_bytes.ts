/**
 * Joining chunks of bytes into one buffer.
 *
 * @module
 */

/** Joins `chunks` (of `size` bytes in all) into one array; one chunk is returned as it is. */
export function concatBytes(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}
