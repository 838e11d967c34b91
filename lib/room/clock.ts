/**
 * Time as the room sees it, injectable so a test of a 60-second deadline
 * takes milliseconds (see `tests/support/fake_clock.ts`).
 *
 * @module
 */

/** A handle returned by {@linkcode Clock.setTimeout}. */
export type TimerId = ReturnType<typeof setTimeout>;

/** What the room needs of time. */
export interface Clock {
  /** Milliseconds since some fixed point, like `performance.now()`. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown ids are ignored. */
  clearTimeout(id: TimerId | undefined): void;
}

/** The real clock. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};
