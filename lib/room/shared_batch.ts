/**
 * One buffer for all the receivers of a room, so that a broadcast line is
 * copied once, not once per receiver.
 *
 * Every line a room delivers to more than one receiver is appended once to
 * a shared, append-only buffer (when it is delivered a second time: lines
 * for one receiver, such as a greeting, stay out of it). Each receiver's outbox keeps only where its lines
 * lie in that buffer, and lines that lie next to each other are one range:
 * in a busy room, everything a receiver is sent during a turn of the event
 * loop is one view of the shared buffer, written with one call and no copy.
 * A sender, who is not sent its own lines, gets a few views around them.
 *
 * Outboxes write once per turn of the event loop ({@linkcode SharedBatch.later}):
 * after every read that finished in that turn has been relayed.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { LAZY_LINE_MS } from "./lazy_lines.ts";

/** How big each shared chunk is; a longer run of bytes gets its own. */
export const CHUNK_BYTES = 256 * 1024;

/** The shared buffer of a room, and its once-a-turn writing. */
export class SharedBatch {
  /** The chunk where the bytes last {@linkcode place}d are. */
  chunk: Uint8Array = new Uint8Array(0);
  /** Where they start in {@linkcode chunk}. */
  start = 0;
  /** Where they end in {@linkcode chunk}. */
  end = 0;
  #current: Uint8Array = new Uint8Array(0);
  #used = 0;
  // The last two distinct byte arrays placed, and where (a broadcast
  // alternates between at most two forms of a line: plain and tagged).
  // Fields rather than an array of entries: this is looked up once per
  // receiver per line.
  #newestBytes: Uint8Array | null = null;
  #newestChunk: Uint8Array = new Uint8Array(0);
  #newestStart = 0;
  #newestEnd = 0;
  #olderBytes: Uint8Array | null = null;
  #olderChunk: Uint8Array = new Uint8Array(0);
  #olderStart = 0;
  #olderEnd = 0;
  /** Bytes delivered once and not placed: placed if delivered again. */
  #candidate: Uint8Array | null = null;
  #due: (() => void)[] = [];
  #scheduled = false;
  #dueLazily: (() => void)[] = [];
  #lazyTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Finds `bytes` in the shared buffer, or puts them there if they were
   * delivered just before; {@linkcode chunk}, {@linkcode start} and
   * {@linkcode end} then say where they are. `false`: bytes delivered for
   * the first time, to be queued as they are. `bytes` must not change
   * afterwards.
   */
  place(bytes: Uint8Array): boolean {
    if (bytes === this.#newestBytes) {
      this.chunk = this.#newestChunk;
      this.start = this.#newestStart;
      this.end = this.#newestEnd;
      return true;
    }
    if (bytes === this.#olderBytes) {
      this.chunk = this.#olderChunk;
      this.start = this.#olderStart;
      this.end = this.#olderEnd;
      return true;
    }
    if (bytes !== this.#candidate) {
      this.#candidate = bytes;
      return false;
    }
    this.#candidate = null;
    const size = bytes.length;
    if (this.#used + size > this.#current.length) {
      this.#current = new Uint8Array(Math.max(CHUNK_BYTES, size));
      this.#used = 0;
    }
    this.#current.set(bytes, this.#used);
    this.chunk = this.#current;
    this.start = this.#used;
    this.end = this.#used += size;
    this.#olderBytes = this.#newestBytes;
    this.#olderChunk = this.#newestChunk;
    this.#olderStart = this.#newestStart;
    this.#olderEnd = this.#newestEnd;
    this.#newestBytes = bytes;
    this.#newestChunk = this.chunk;
    this.#newestStart = this.start;
    this.#newestEnd = this.end;
    return true;
  }

  /**
   * Runs `write` once the current turn of the event loop is over: after
   * every read that finished in it has been relayed.
   */
  later(write: () => void): void {
    this.#due.push(write);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#runDue());
  }

  /**
   * Runs `write` within {@linkcode LAZY_LINE_MS} (one timer for the whole
   * room): for outboxes that hold only lines that may wait.
   */
  lazily(write: () => void): void {
    this.#dueLazily.push(write);
    this.#lazyTimer ??= setTimeout(() => {
      this.#lazyTimer = undefined;
      const due = this.#dueLazily;
      this.#dueLazily = [];
      for (const write of due) write();
    }, LAZY_LINE_MS);
  }

  #runDue(): void {
    this.#scheduled = false;
    const due = this.#due;
    this.#due = [];
    for (const write of due) write();
  }
}
