/**
 * The bytes queued across a room's outboxes, counted in one place: the room
 * watches the total so it can stop reading new lines while its receivers
 * catch up (`catch_up.ts`), instead of letting every queue grow at once.
 *
 * @module
 */

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
  #behind = 0;
  #outboxes = 0;
  #waiters: { level: number; wake: () => void }[] = [];

  /** Makes an empty ledger. */
  constructor(perOutboxCap: number) {
    this.perOutboxCap = perOutboxCap;
  }

  /** Bytes queued in all the outboxes that share this ledger. */
  get total(): number {
    return this.#total;
  }

  /** How many outboxes are over their limit and still taking bytes. */
  get behind(): number {
    return this.#behind;
  }

  /** An outbox now counts here (until {@linkcode left}). */
  joined(): void {
    this.#outboxes++;
  }

  /** An outbox that {@linkcode joined} was closed. */
  left(): void {
    this.#outboxes--;
  }

  /**
   * Whether the outboxes other than one counting `own` bytes have, on
   * average, little left to write: they are taking their bytes.
   */
  othersCaughtUp(own: number): boolean {
    const others = Math.max(1, this.#outboxes - 1);
    return this.#total - own <= others * this.perOutboxCap / 4;
  }

  /** One outbox passed its limit: waiters wait until it has caught up. */
  fellBehind(): void {
    this.#behind++;
  }

  /** An outbox that {@linkcode fellBehind} caught up (or was closed). */
  caughtUp(): void {
    this.#behind--;
    this.#wakeNext();
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
   * Resolves once the total is at most `level` and no outbox is behind, or
   * after `maxMs` at the latest. Waiters are woken one at a time, in order, each after the one
   * before has had its turn: woken all at once, they would refill every
   * queue in one go.
   */
  waitUntilAtMost(level: number, maxMs: number): Promise<void> {
    if (this.#clear(level) && this.#waiters.length === 0) {
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
    if (next === undefined || !this.#clear(next.level)) return;
    this.#waiters.shift();
    next.wake();
    // Runs after the woken reader's turn, which may have queued more.
    queueMicrotask(() => this.#wakeNext());
  }

  #clear(level: number): boolean {
    return this.#total <= level && this.#behind === 0;
  }
}
