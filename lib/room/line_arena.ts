/**
 * Encodes the room's message lines into big shared chunks instead of one
 * new buffer each: a busy room makes hundreds of thousands of lines a
 * second, and a buffer of its own per line cost an allocation outside V8's
 * heap (and its freeing) every time. Lines encoded one after another lie
 * side by side in a chunk, so a receiver's queue joins them into one write
 * without copying (`pending_runs.ts`).
 *
 * @module
 */

/** Bytes per chunk; a line that might not fit gets a buffer of its own. */
export const ARENA_CHUNK_BYTES = 64 * 1024;

const encoder = new TextEncoder();

/** Where lines are encoded: append-only chunks, never written twice. */
export class LineArena {
  readonly #chunkBytes: number;
  #chunk: Uint8Array;
  #used = 0;

  /** Makes an arena of `chunkBytes` chunks. */
  constructor(chunkBytes: number = ARENA_CHUNK_BYTES) {
    this.#chunkBytes = chunkBytes;
    this.#chunk = new Uint8Array(chunkBytes);
  }

  /**
   * The UTF-8 bytes of `text`, as a view of the current chunk. They never
   * change: the part of a chunk that was handed out is not written again.
   */
  encode(text: string): Uint8Array {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const most = text.length * 3;
    if (most > this.#chunkBytes) return encoder.encode(text);
    if (this.#used + most > this.#chunkBytes) {
      this.#chunk = new Uint8Array(this.#chunkBytes);
      this.#used = 0;
    }
    const start = this.#used;
    const { written } = encoder.encodeInto(text, this.#chunk.subarray(start));
    this.#used += written;
    return this.#chunk.subarray(start, this.#used);
  }
}

/** The arena the room's message lines are encoded in. */
export const messageLines: LineArena = new LineArena();
