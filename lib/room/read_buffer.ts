/**
 * The buffer a room member's reads go into, sized by how busy it is.
 *
 * Deno has no way to wait until a socket is readable without a read under
 * way, and a read under way holds its buffer: a room of idle members holds
 * one buffer each, for as long as they stay idle. So a member reads into a
 * small buffer ({@linkcode IDLE_READ_SIZE}), enough for a typed line, and
 * only a read that fills it (more is waiting: a paste, a flood) brings the
 * big one ({@linkcode BUSY_READ_SIZE}), which goes again once a read would
 * have fitted in the small one.
 *
 * @module
 */

/** Bytes read at a time by a member that is not sending much: a typed line fits. */
export const IDLE_READ_SIZE = 256;

/**
 * Bytes read at a time by a busy member. Lines stay limited to the room's
 * `maxLineBytes` (1024 by default); reading more per call only means fewer
 * calls when a sender is busy (take-turns' 1024-byte reads are the
 * lesson's, and stay in `line_reader.ts`).
 */
export const BUSY_READ_SIZE = 4096;

/** Which buffer the next read goes into, from how full the last one was. */
export class ReadBuffer {
  readonly #idle: Uint8Array;
  readonly #busySize: number;
  #busy: Uint8Array | null = null;

  /** Makes one with the given sizes (the defaults above when absent). */
  constructor(idleSize = IDLE_READ_SIZE, busySize = BUSY_READ_SIZE) {
    this.#idle = new Uint8Array(idleSize);
    this.#busySize = Math.max(busySize, idleSize);
  }

  /** The buffer for the next read. */
  get current(): Uint8Array {
    return this.#busy ?? this.#idle;
  }

  /**
   * Tells it the last read into {@linkcode current} took `count` bytes;
   * returns them. The bytes are good until the next read.
   */
  took(count: number): Uint8Array {
    const buffer = this.current;
    if (count === buffer.length) {
      // Full: more is probably waiting. (The big one is kept while full.)
      this.#busy ??= new Uint8Array(this.#busySize);
    } else if (count <= this.#idle.length && this.#busy !== null) {
      // The small one would have done: the big one goes after this read.
      this.#busy = null;
    }
    return buffer.subarray(0, count);
  }
}
