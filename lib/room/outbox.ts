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

import { concatBytes } from "../wire/concat_bytes.ts";
import { type ByteSink, writeAll } from "../wire/write_all.ts";

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
  /**
   * Where to count this outbox's queued bytes along with others'.
   *
   * @default {undefined (not counted)}
   */
  ledger?: QueueLedger;
}

/**
 * The bytes queued across many outboxes: a room watches the total so it can
 * stop reading new lines while its receivers catch up. Each outbox counts
 * for at most {@linkcode QueueLedger.perOutboxCap} bytes, so a few stalled
 * receivers with full queues weigh no more than a few busy ones.
 */
export class QueueLedger {
  /** The most one outbox adds to the total. */
  readonly perOutboxCap: number;
  #total = 0;
  #waiters: { level: number; wake: () => void }[] = [];

  /** Makes an empty ledger. */
  constructor(perOutboxCap: number) {
    this.perOutboxCap = perOutboxCap;
  }

  /** Bytes queued in all the outboxes that share this ledger. */
  get total(): number {
    return this.#total;
  }

  /** Counts `bytes` more as queued. */
  add(bytes: number): void {
    this.#total += bytes;
  }

  /** Counts `bytes` as written or dropped, waking a waiter if there is room. */
  release(bytes: number): void {
    this.#total -= bytes;
    this.#wakeNext();
  }

  /**
   * Resolves once the total is at most `level`, or after `maxMs` at the
   * latest. Waiters are woken one at a time, in order, each after the one
   * before has had its turn: woken all at once, they would refill every
   * queue in one go.
   */
  waitUntilAtMost(level: number, maxMs: number): Promise<void> {
    if (this.#total <= level && this.#waiters.length === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== entry);
        resolve();
      }, maxMs);
      const entry = {
        level,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(entry);
    });
  }

  #wakeNext(): void {
    const next = this.#waiters[0];
    if (next === undefined || this.#total > next.level) return;
    this.#waiters.shift();
    next.wake();
    // Runs after the woken reader's turn, which may have queued more.
    queueMicrotask(() => this.#wakeNext());
  }
}

/** Queues bytes for one receiver and writes them in batches. */
export class Outbox {
  readonly #sink: ByteSink;
  readonly #maxQueuedBytes: number;
  readonly #onOverflow: () => void;
  readonly #onWriteError: (error: unknown) => void;
  readonly #ledger: QueueLedger | undefined;
  #queue: Uint8Array[] = [];
  /** What this outbox adds to the ledger's total now. */
  #counted = 0;
  /** Bytes in `#queue`, not yet handed to a write. */
  #pendingBytes = 0;
  /** Bytes of the write under way. */
  #inFlightBytes = 0;
  #flushing: Promise<void> | null = null;
  #closed = false;

  /** Makes an outbox that writes to `sink`. */
  constructor(sink: ByteSink, options: OutboxOptions = {}) {
    this.#sink = sink;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
    this.#onOverflow = options.onOverflow ?? (() => {});
    this.#onWriteError = options.onWriteError ?? (() => {});
    this.#ledger = options.ledger;
  }

  /** How many bytes wait to be written, the write under way included. */
  get queuedBytes(): number {
    return this.#pendingBytes + this.#inFlightBytes;
  }

  /**
   * Queues `bytes` (which must not change afterwards: they are shared by
   * every receiver of a broadcast). Returns `false` when the outbox is closed
   * or has just overflowed.
   */
  send(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.queuedBytes + bytes.length > this.#maxQueuedBytes) {
      this.#closed = true;
      this.#dropPending();
      this.#onOverflow();
      return false;
    }
    this.#queue.push(bytes);
    this.#pendingBytes += bytes.length;
    this.#account();
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

  #dropPending(): void {
    this.#queue = [];
    this.#pendingBytes = 0;
    this.#account();
  }

  /** Tells the ledger how much this outbox holds now, up to its cap. */
  #account(): void {
    if (this.#ledger === undefined) return;
    const counted = Math.min(this.queuedBytes, this.#ledger.perOutboxCap);
    const change = counted - this.#counted;
    this.#counted = counted;
    if (change > 0) this.#ledger.add(change);
    else if (change < 0) this.#ledger.release(-change);
  }

  async #flush(): Promise<void> {
    // Let the rest of this turn of the event loop add to the batch first.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const batch = concatBytes(this.#queue, this.#pendingBytes);
        this.#queue = [];
        this.#inFlightBytes = this.#pendingBytes;
        this.#pendingBytes = 0;
        await writeAll(this.#sink, batch);
        this.#inFlightBytes = 0;
        this.#account();
      }
    } catch (error) {
      this.#closed = true;
      this.#inFlightBytes = 0;
      this.#dropPending();
      this.#onWriteError(error);
    } finally {
      this.#flushing = null;
    }
  }
}
