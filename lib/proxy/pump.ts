/**
 * One direction of a proxied connection: bytes read from one socket are
 * written to the other with that direction's faults (merge, split, delay and
 * jitter, rate, cut), in order, none lost.
 *
 * @module
 */

import type { Socket } from "node:net";
import { type Faults, SPLIT_GAP_MS } from "./faults.ts";
import type { SeededRandom } from "./seeded_random.ts";

/** Options for {@linkcode Pump}. */
export interface PumpOptions {
  /** The faults of this direction. */
  faults: Faults;
  /** Where the jitter comes from. */
  random: SeededRandom;
  /** Called with each chunk read from the source, as read. */
  onRead?: (bytes: Uint8Array) => void;
  /** Called with each piece written to the destination, as written. */
  onWrite?: (bytes: Uint8Array) => void;
}

/** How a direction ended. */
export type PumpEnd =
  /** The source sent its end (FIN) and everything was delivered. */
  | "ended"
  /** `cutAfter` bytes were delivered. */
  | "cut"
  /** A read or write failed (a reset, or the other socket went away). */
  | "failed"
  /** {@linkcode Pump.stop} was called. */
  | "stopped";

/** Bytes read ahead of a slow delivery (a low --rate) before reading pauses. */
const MAX_AHEAD_BYTES = 1024 * 1024;

/** Moves bytes from `source` to `destination`, with faults. */
export class Pump {
  /** Bytes delivered so far. */
  delivered = 0;
  readonly #source: Socket;
  readonly #destination: Socket;
  readonly #options: PumpOptions;
  /** Chunks read and not yet delivered, with the time each arrived. */
  #queue: { bytes: Uint8Array; at: number }[] = [];
  #queuedBytes = 0;
  #sourceEnded = false;
  #failed = false;
  #stopped = false;
  #draining = false;
  #wake: (() => void) | null = null;
  #lastDue = 0;
  #rateNext = 0;
  readonly #sleeps = new Set<() => void>();

  /** Prepares the pump; {@linkcode run} starts it. */
  constructor(source: Socket, destination: Socket, options: PumpOptions) {
    this.#source = source;
    this.#destination = destination;
    this.#options = options;
  }

  /** Runs until the direction ends, and says how. */
  async run(): Promise<PumpEnd> {
    this.#source.on("data", (chunk: Uint8Array) => this.#arrived(chunk));
    this.#source.on("end", () => {
      this.#sourceEnded = true;
      this.#poke();
    });
    this.#source.on("error", () => {
      this.#failed = true;
      this.#poke();
    });
    this.#source.on("close", () => {
      this.#sourceEnded = true;
      this.#poke();
    });
    try {
      return await this.#deliver();
    } catch {
      return "failed";
    }
  }

  /** Stops delivering (the connection is closing); bytes still queued are dropped. */
  stop(): void {
    this.#stopped = true;
    this.#poke();
    for (const wake of [...this.#sleeps]) wake();
  }

  /**
   * Delivers what has arrived, then ends ("ended"); anything read after
   * this is dropped (the connection is closing).
   */
  drain(): void {
    this.#draining = true;
    this.#poke();
  }

  #arrived(chunk: Uint8Array): void {
    if (this.#draining) return;
    const bytes = new Uint8Array(chunk);
    this.#options.onRead?.(bytes);
    this.#queue.push({ bytes, at: performance.now() });
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes > MAX_AHEAD_BYTES) this.#source.pause();
    this.#poke();
  }

  async #deliver(): Promise<PumpEnd> {
    const { faults } = this.#options;
    while (true) {
      while (this.#queue.length === 0) {
        if (this.#stopped) return "stopped";
        if (this.#failed) return "failed";
        if (this.#sourceEnded || this.#draining) return "ended";
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
      // Merge: what arrives within the window goes out as one write.
      if (faults.merge !== undefined) await this.#sleep(faults.merge);
      if (this.#stopped) return "stopped";
      const batch = this.#take();
      const pieces = faults.split === undefined
        ? [batch.bytes]
        : cut(batch.bytes, faults.split);
      for (const [i, piece] of pieces.entries()) {
        await this.#waitForTurn(batch.at, i > 0);
        if (this.#stopped) return "stopped";
        const room = faults.cutAfter === undefined
          ? Infinity
          : faults.cutAfter - this.delivered;
        const part = piece.length > room ? piece.subarray(0, room) : piece;
        if (part.length > 0) await this.#write(part);
        if (this.#stopped) return "stopped";
        if (this.delivered === faults.cutAfter) return "cut";
      }
    }
  }

  /** Everything queued, as one chunk, with the time the last of it arrived. */
  #take(): { bytes: Uint8Array; at: number } {
    const queue = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#source.resume();
    if (queue.length === 1) return queue[0];
    const bytes = new Uint8Array(queue.reduce((n, c) => n + c.bytes.length, 0));
    let offset = 0;
    for (const chunk of queue) {
      bytes.set(chunk.bytes, offset);
      offset += chunk.bytes.length;
    }
    return { bytes, at: queue[queue.length - 1].at };
  }

  /** Waits for the piece's delay (and jitter), its split gap and its rate. */
  async #waitForTurn(arrivedAt: number, afterAPiece: boolean): Promise<void> {
    const { delay = 0, jitter = 0 } = this.#options.faults;
    const jitterMs = jitter > 0 ? this.#options.random.upTo(jitter) : 0;
    // Never before the piece before it: delay and jitter keep the order.
    const due = Math.max(arrivedAt + delay + jitterMs, this.#lastDue);
    this.#lastDue = due;
    const wait = due - performance.now();
    if (wait > 0) await this.#sleep(wait);
    else if (afterAPiece) await this.#sleep(SPLIT_GAP_MS);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const { rate } = this.#options.faults;
    // Rate: a piece may start once the ones before it have had their time.
    if (rate !== undefined) {
      const wait = this.#rateNext - performance.now();
      if (wait > 0) await this.#sleep(wait);
      if (this.#stopped) return;
    }
    await new Promise<void>((resolve, reject) => {
      this.#destination.write(
        bytes,
        (error) => error ? reject(error) : resolve(),
      );
    });
    this.delivered += bytes.length;
    this.#options.onWrite?.(bytes);
    if (rate !== undefined) {
      this.#rateNext = Math.max(this.#rateNext, performance.now()) +
        (bytes.length * 1000) / rate;
    }
  }

  /** Waits `ms`, or less if the pump is stopped. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleeps.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#sleeps.add(done);
    });
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

/** `bytes` in pieces of `size` (the last may be shorter). */
export function cut(bytes: Uint8Array, size: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    pieces.push(bytes.subarray(i, i + size));
  }
  return pieces;
}
