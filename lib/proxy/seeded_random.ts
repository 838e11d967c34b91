/**
 * A small seeded random number generator (mulberry32), so the proxy's
 * random faults repeat exactly when given `--seed`.
 *
 * @module
 */

/** Numbers from a seed: the same seed gives the same numbers. */
export class SeededRandom {
  #state: number;

  /** Starts from `seed` (any 32-bit integer). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** A whole number from 0 to `max`, both included. */
  upTo(max: number): number {
    return Math.floor(this.next() * (max + 1));
  }
}

/**
 * The seed of one connection's one direction: each gets its own numbers, so
 * what one connection does never changes another's faults.
 */
export function streamSeed(
  seed: number,
  connection: number,
  direction: "up" | "down",
): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const n of [connection, direction === "up" ? 1 : 2]) {
    h = Math.imul(h ^ n, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}
