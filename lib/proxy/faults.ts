/**
 * The faults the proxy can put on each direction of a connection, and how
 * they read on the command line: `--split 3` for both directions,
 * `--split up:3` for client → server only, `--split down:3` for
 * server → client only.
 *
 * @module
 */

/** A direction through the proxy: `up` is client → server, `down` server → client. */
export type Direction = "up" | "down";

/** Both directions, `up` first. */
export const DIRECTIONS: readonly Direction[] = ["up", "down"];

/** What the proxy does to the bytes of one direction. */
export interface Faults {
  /** Deliver in pieces of this many bytes, each its own write. */
  split?: number;
  /** Hold bytes this many milliseconds from the first, then deliver them in one write. */
  merge?: number;
  /** Deliver each piece this many milliseconds after it arrived. */
  delay?: number;
  /** Add from 0 to this many milliseconds (random, seeded) to each piece's delay. */
  jitter?: number;
  /** At most this many bytes per second. */
  rate?: number;
  /** After this many bytes, cut the connection (a reset, or with halfClose an end). */
  cutAfter?: number;
  /**
   * Pass an end (FIN) on as an end of this direction only, the other one
   * staying open; `cutAfter` then ends this direction instead of resetting.
   */
  halfClose?: boolean;
}

/** The faults of both directions. */
export type FaultPlan = Record<Direction, Faults>;

/**
 * The pause between the pieces of a split, so that a reader waiting for
 * data gets each piece in a read of its own.
 */
export const SPLIT_GAP_MS = 10;

/** `up (client → server)`. */
export function directionName(direction: Direction): string {
  return direction === "up" ? "up (client → server)" : "down (server → client)";
}

/** The faults as words, `split 3, delay 50 ms`, or `none`. */
export function describeFaults(faults: Faults): string {
  const words: string[] = [];
  if (faults.merge !== undefined) words.push(`merge ${faults.merge} ms`);
  if (faults.split !== undefined) words.push(`split ${faults.split}`);
  if (faults.delay !== undefined) words.push(`delay ${faults.delay} ms`);
  if (faults.jitter !== undefined) words.push(`jitter ${faults.jitter} ms`);
  if (faults.rate !== undefined) words.push(`rate ${faults.rate} bytes/s`);
  if (faults.cutAfter !== undefined) {
    words.push(
      `${faults.halfClose ? "end" : "reset"} after ${faults.cutAfter} bytes`,
    );
  }
  if (faults.halfClose) words.push("half-close");
  return words.length > 0 ? words.join(", ") : "none";
}
