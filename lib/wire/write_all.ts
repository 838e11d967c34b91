/**
 * Writes every byte: `conn.write()` may write fewer than it was given.
 *
 * @module
 */

/** Anything with Deno's `write()`: a `Deno.Conn`, `Deno.stdout`. */
export interface ByteSink {
  /** Writes some of `p`; resolves to how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/** Writes all of `bytes` to `sink`, looping over short writes. */
export async function writeAll(
  sink: ByteSink,
  bytes: Uint8Array,
): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await sink.write(bytes.subarray(written));
  }
}
