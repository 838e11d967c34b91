/**
 * The runs of bytes waiting for one receiver's next write. In a room the
 * bytes of a turn lie in one shared buffer ({@linkcode SharedBatch}), and
 * message lines are encoded side by side (`line_arena.ts`), so deliveries
 * that lie side by side in one buffer are joined into one view instead of
 * being queued one by one; a run that is one delivery is queued as it is,
 * without making a view.
 *
 * @module
 */

import type { SharedBatch } from "./shared_batch.ts";

/** Runs of bytes waiting to be written, oldest first. */
export class PendingRuns {
  readonly #shared: SharedBatch | undefined;
  /** Whole runs of bytes waiting, oldest first (the tail run not included). */
  #queue: Uint8Array[] = [];
  /**
   * What the last run waiting lies in, which may still grow: a chunk of
   * the shared buffer, or the `ArrayBuffer` of lines encoded side by side.
   */
  #tailChunk: Uint8Array | ArrayBufferLike | null = null;
  #tailStart = 0;
  #tailEnd = 0;
  /** The bytes the tail run is, when it is one delivery: queued as they are, no view made. */
  #tailBytes: Uint8Array | null = null;

  /** Makes an empty queue; with `shared`, bytes are placed in that buffer. */
  constructor(shared?: SharedBatch) {
    this.#shared = shared;
  }

  /** Queues `bytes` after what waits. */
  push(bytes: Uint8Array): void {
    if (this.#shared) this.#queueShared(this.#shared, bytes);
    else this.#queueAsItIs(bytes);
  }

  /** Takes every run waiting, oldest first, leaving none. */
  take(): Uint8Array[] {
    this.#closeTail();
    const parts = this.#queue;
    this.#queue = [];
    return parts;
  }

  /** Forgets every run waiting. */
  clear(): void {
    this.#queue = [];
    this.#tailChunk = null;
    this.#tailBytes = null;
  }

  #queueShared(shared: SharedBatch, bytes: Uint8Array): void {
    if (!shared.place(bytes)) return this.#queueAsItIs(bytes);
    const { chunk, start, end } = shared;
    if (chunk === this.#tailChunk && start === this.#tailEnd) {
      this.#tailEnd = end;
      this.#tailBytes = null;
      return;
    }
    this.#closeTail();
    this.#tailChunk = chunk;
    this.#tailStart = start;
    this.#tailEnd = end;
    this.#tailBytes = bytes;
  }

  /**
   * Queues bytes delivered once so far, joined to the run before them when
   * they lie right after it (lines encoded one after another).
   */
  #queueAsItIs(bytes: Uint8Array): void {
    const { buffer, byteOffset } = bytes;
    if (buffer === this.#tailChunk && byteOffset === this.#tailEnd) {
      this.#tailEnd = byteOffset + bytes.length;
      this.#tailBytes = null;
      return;
    }
    this.#closeTail();
    this.#tailChunk = buffer;
    this.#tailStart = byteOffset;
    this.#tailEnd = byteOffset + bytes.length;
    this.#tailBytes = bytes;
  }

  #closeTail(): void {
    const chunk = this.#tailChunk;
    if (chunk === null) return;
    this.#queue.push(
      this.#tailBytes ??
        (chunk instanceof Uint8Array
          ? chunk.subarray(this.#tailStart, this.#tailEnd)
          : new Uint8Array(
            chunk,
            this.#tailStart,
            this.#tailEnd - this.#tailStart,
          )),
    );
    this.#tailChunk = null;
    this.#tailBytes = null;
  }
}
