/**
 * A bounded outgoing queue for one receiver, so that broadcasting never
 * waits on anybody.
 *
 * Senders only append to the queue and return at once. Everything appended
 * during one turn of the event loop goes out in a single write, which keeps
 * the number of system calls per receiver low when a room is busy. In a
 * room, outboxes share one buffer ({@linkcode SharedBatch}): a line sent to
 * everyone is copied once, and each outbox writes views of it.
 *
 * A receiver whose queue passes its limit is not dropped at once: while it
 * keeps taking bytes it is only "behind", and the room stops reading new
 * lines until it has caught up (`catch_up.ts`). One that takes nothing for
 * {@linkcode STALL_MS} while over its limit and while the others have
 * caught up (so it is not the machine that is slow), or for four times that
 * in any case, or whose queue reaches twice the limit, is dropped: it
 * stopped reading.
 *
 * @module
 */

import { concatBytes } from "../wire/concat_bytes.ts";
import type { ByteSink } from "../wire/write_all.ts";
import { PendingRuns } from "./pending_runs.ts";
import type { QueueLedger } from "./queue_ledger.ts";
import { isLazy } from "./lazy_lines.ts";
import type { SharedBatch } from "./shared_batch.ts";

/** Kept here too: the ledger lived in this file, and importers may still look for it here. */
export { QueueLedger } from "./queue_ledger.ts";

/** The bytes that may wait for one slow receiver before it is dropped. */
export const MAX_QUEUED_BYTES = 256 * 1024;

/**
 * How long a receiver over its limit may take nothing at all before it is
 * dropped as stalled (one that reads, however slowly, takes something far
 * sooner).
 */
export const STALL_MS = 250;

/**
 * Pieces this small on average are joined into one write (a copy costs
 * less than a system call); bigger ones go out one by one, without a copy.
 */
const MAX_COPIED_BYTES = 4 * 1024;

/** A stall check this late means the server was held up, not the receiver. */
const LATE_CHECK_MS = 25;

/** Options for {@linkcode Outbox}. */
export interface OutboxOptions {
  /**
   * The most bytes that may wait to be written; past this the receiver is
   * considered stalled.
   *
   * @default {262144}
   */
  maxQueuedBytes?: number;
  /**
   * How long it may take nothing while over `maxQueuedBytes` before it
   * counts as stalled.
   *
   * @default {250}
   */
  stallMs?: number;
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
  /**
   * The buffer shared with the other receivers of a room; its bytes are
   * written once per turn of the event loop.
   *
   * @default {undefined (bytes are queued as they are)}
   */
  shared?: SharedBatch;
}

/** Queues bytes for one receiver and writes them in batches. */
export class Outbox {
  readonly #sink: ByteSink;
  readonly #maxQueuedBytes: number;
  readonly #stallMs: number;
  readonly #onOverflow: () => void;
  readonly #onWriteError: (error: unknown) => void;
  readonly #ledger: QueueLedger | undefined;
  readonly #shared: SharedBatch | undefined;
  /** Bytes waiting for the next write. */
  readonly #runs: PendingRuns;
  /** What this outbox adds to the ledger's total now. */
  #counted = 0;
  /** Bytes in `#runs`, not yet handed to a write. */
  #pendingBytes = 0;
  /** Bytes of the write under way. */
  #inFlightBytes = 0;
  /** When it last took bytes (or was last asked to). */
  #lastTaken = performance.now();
  /**
   * Queued bytes that it missed and is owed (history, a resumed session's
   * messages): they are not held against its limit. Queued first, they are
   * the first written.
   */
  #owedBytes = 0;
  /** Over its limit, still taking bytes: the room waits for it. */
  #behind = false;
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | null = null;
  #closed = false;
  /** Something queued may not wait (`lazy_lines.ts`): it goes out this turn. */
  #urgent = false;
  /** Ends the wait of lines that may wait, when one that may not comes. */
  #wake: (() => void) | undefined;

  /** Makes an outbox that writes to `sink`. */
  constructor(sink: ByteSink, options: OutboxOptions = {}) {
    this.#sink = sink;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
    this.#stallMs = options.stallMs ?? STALL_MS;
    this.#onOverflow = options.onOverflow ?? (() => {});
    this.#onWriteError = options.onWriteError ?? (() => {});
    this.#ledger = options.ledger;
    this.#ledger?.joined();
    this.#shared = options.shared;
    this.#runs = new PendingRuns(options.shared);
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
  send(bytes: Uint8Array, catchUp = false): boolean {
    if (this.#closed) return false;
    if (catchUp) this.#owedBytes += bytes.length;
    const queued = this.queuedBytes - this.#owedBytes + bytes.length;
    if (
      !catchUp && queued > this.#maxQueuedBytes && !this.#mayFallBehind(queued)
    ) {
      this.#overflow();
      return false;
    }
    this.#runs.push(bytes);
    this.#pendingBytes += bytes.length;
    this.#accountMore(bytes.length);
    if (!this.#urgent && !isLazy(bytes)) {
      this.#urgent = true;
      this.#wake?.();
    }
    this.#flushing ??= this.#flush();
    return true;
  }

  /** Stops accepting bytes; resolves once what was queued has been written. */
  async close(): Promise<void> {
    this.#end();
    await this.#flushing;
  }

  /** Accepts no more bytes, and no longer counts as one of the room's. */
  #end(): void {
    this.#notBehind();
    this.#wake?.();
    if (this.#closed) return;
    this.#closed = true;
    this.#ledger?.left();
  }

  /** Resolves once everything queued so far has been written. */
  async drained(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /**
   * Whether a queue of `queued` bytes, over the limit, may wait: yes while
   * the receiver keeps taking bytes and is under twice the limit.
   */
  #mayFallBehind(queued: number): boolean {
    if (queued > 2 * this.#maxQueuedBytes) return false;
    if (this.#behind) return true;
    if (this.#inFlightBytes > 0 && this.#stalled()) return false;
    this.#behind = true;
    this.#ledger?.fellBehind();
    this.#watchStall();
    return true;
  }

  #idleMs(): number {
    return performance.now() - this.#lastTaken;
  }

  /**
   * It took nothing for its stall time while the others took theirs, or
   * for four times that whatever the others did.
   */
  #stalled(): boolean {
    const idle = this.#idleMs();
    if (idle < this.#stallMs) return false;
    return idle >= 4 * this.#stallMs ||
      (this.#ledger?.othersCaughtUp(this.#counted) ?? true);
  }

  /**
   * While behind, checks that it still takes bytes; drops it if not. A
   * check that comes late (the server itself was held up, so the writes
   * that finished meanwhile are not counted yet) looks again instead.
   */
  #watchStall(): void {
    const wait = Math.max(1, this.#stallMs - this.#idleMs());
    const due = performance.now() + wait;
    this.#stallTimer = setTimeout(() => {
      if (!this.#behind) return;
      const late = performance.now() - due > LATE_CHECK_MS;
      if (!late && this.#stalled()) this.#overflow();
      else this.#watchStall();
    }, wait);
  }

  #notBehind(): void {
    clearTimeout(this.#stallTimer);
    if (!this.#behind) return;
    this.#behind = false;
    this.#ledger?.caughtUp();
  }

  #overflow(): void {
    if (this.#closed) return;
    this.#end();
    this.#dropPending();
    this.#onOverflow();
  }

  #dropPending(): void {
    this.#runs.clear();
    this.#pendingBytes = 0;
    this.#account();
  }

  /**
   * {@linkcode Outbox.#account} after `bytes` more were queued, without
   * recounting (this runs once per receiver per line).
   */
  #accountMore(bytes: number): void {
    const ledger = this.#ledger;
    if (ledger === undefined || this.#counted >= ledger.perOutboxCap) return;
    const added = Math.min(bytes, ledger.perOutboxCap - this.#counted);
    this.#counted += added;
    ledger.add(added);
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

  /** Lets the rest of this turn of the event loop add to the batch. */
  #endOfTurn(): Promise<void> {
    const shared = this.#shared;
    if (shared === undefined) return Promise.resolve();
    return new Promise((resolve) => shared.later(resolve));
  }

  /**
   * Waits while everything queued may wait (`lazy_lines.ts`), until more of
   * it comes or a line that may not.
   */
  async #lazyWait(): Promise<void> {
    const shared = this.#shared;
    if (shared === undefined || this.#urgent || this.#closed) return;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      shared.lazily(resolve);
    });
    this.#wake = undefined;
    // Woken by a line that may not wait: the rest of its turn joins it.
    await this.#endOfTurn();
  }

  async #flush(): Promise<void> {
    await this.#endOfTurn();
    // (Checked here, not in #lazyWait: an await costs a turn of the
    // microtask queue per receiver per write, and this is the usual case.)
    if (!this.#urgent) await this.#lazyWait();
    try {
      while (this.#pendingBytes > 0) {
        const parts = this.#runs.take();
        this.#urgent = false;
        this.#inFlightBytes = this.#pendingBytes;
        this.#pendingBytes = 0;
        if (this.#inFlightBytes > MAX_COPIED_BYTES * parts.length) {
          // Large views of the shared buffer: written as they are.
          for (const part of parts) await this.#writeAll(part);
        } else await this.#writeAll(concatBytes(parts, this.#inFlightBytes));
        this.#inFlightBytes = 0;
        this.#account();
        if (this.queuedBytes - this.#owedBytes <= this.#maxQueuedBytes / 2) {
          this.#notBehind();
        }
      }
    } catch (error) {
      this.#end();
      this.#inFlightBytes = 0;
      this.#dropPending();
      this.#onWriteError(error);
    } finally {
      this.#flushing = null;
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      this.#lastTaken = performance.now();
      const n = await this.#sink.write(bytes.subarray(written));
      written += n;
      this.#owedBytes = Math.max(0, this.#owedBytes - n);
    }
    this.#lastTaken = performance.now();
  }
}
