/**
 * A bounded outgoing queue for one receiver, so that broadcasting never
 * waits on anybody.
 *
 * Senders only append to the queue and return at once. Everything appended
 * during one turn of the event loop goes out in a single write, which keeps
 * the number of system calls per receiver low when a room is busy.
 *
 * @module
 */

import { concatBytes } from "./concat_bytes.ts";
import { type ByteSink, writeAll } from "./write_all.ts";

/** The bytes that may wait for one slow receiver before it is dropped. */
export const MAX_QUEUED_BYTES = 256 * 1024;

/** Options for {@linkcode Outbox}. */
export interface OutboxOptions {
  /**
   * The most bytes that may wait to be written; past this the receiver is
   * considered stalled.
   *
   * @default {262144}
   */
  maxQueuedBytes?: number;
  /** Called once when the queue overflows; the outbox is closed by then. */
  onOverflow?: () => void;
  /** Called once when a write fails (the receiver went away). */
  onWriteError?: (error: unknown) => void;
}

/** Queues bytes for one receiver and writes them in batches. */
export class Outbox {
  readonly #sink: ByteSink;
  readonly #maxQueuedBytes: number;
  readonly #onOverflow: () => void;
  readonly #onWriteError: (error: unknown) => void;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #flushing: Promise<void> | null = null;
  #closed = false;

  /** Makes an outbox that writes to `sink`. */
  constructor(sink: ByteSink, options: OutboxOptions = {}) {
    this.#sink = sink;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
    this.#onOverflow = options.onOverflow ?? (() => {});
    this.#onWriteError = options.onWriteError ?? (() => {});
  }

  /** How many bytes wait to be written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Queues `bytes` (which must not change afterwards: they are shared by
   * every receiver of a broadcast). Returns `false` when the outbox is closed
   * or has just overflowed.
   */
  send(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#queuedBytes + bytes.length > this.#maxQueuedBytes) {
      this.#closed = true;
      this.#queue = [];
      this.#queuedBytes = 0;
      this.#onOverflow();
      return false;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    this.#flushing ??= this.#flush();
    return true;
  }

  /** Stops accepting bytes; resolves once what was queued has been written. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#flushing;
  }

  /** Resolves once everything queued so far has been written. */
  async drained(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    // Let the rest of this turn of the event loop add to the batch first.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const batch = concatBytes(this.#queue, this.#queuedBytes);
        this.#queue = [];
        await writeAll(this.#sink, batch);
        this.#queuedBytes -= batch.length;
      }
    } catch (error) {
      this.#closed = true;
      this.#queue = [];
      this.#queuedBytes = 0;
      this.#onWriteError(error);
    } finally {
      this.#flushing = null;
    }
  }
}
