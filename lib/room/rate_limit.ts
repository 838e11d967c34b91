/**
 * A flood guard: a budget of lines and bytes that refills over time, so a
 * normal multi-line paste goes through at once but a flood is stopped.
 *
 * @module
 */

/** Options for {@linkcode RateLimit}. */
export interface RateLimitOptions {
  /**
   * Lines that may arrive at once (a paste).
   *
   * @default {40}
   */
  burstLines?: number;
  /**
   * Lines per second that the budget refills by.
   *
   * @default {5}
   */
  linesPerSecond?: number;
  /**
   * Bytes that may arrive at once.
   *
   * @default {16384}
   */
  burstBytes?: number;
  /**
   * Bytes per second that the budget refills by.
   *
   * @default {4096}
   */
  bytesPerSecond?: number;
}

/** A room's line limit, as {@linkcode lineRateLimitOptions} reads it. */
export interface LineRate {
  /** Lines that may arrive at once (a paste). */
  burstLines: number;
  /** Lines per second that the budget refills by. */
  linesPerSecond: number;
}

/**
 * The budget a room gives each client: `rate` in lines, and bytes enough for
 * lines of `maxLineBytes` at that rate (half of them full in a burst), never
 * less than the {@linkcode RateLimit} defaults of 16 KiB and 4 KiB/s.
 */
export function lineRateLimitOptions(
  rate: LineRate,
  maxLineBytes: number,
): Required<RateLimitOptions> {
  return {
    burstLines: rate.burstLines,
    linesPerSecond: rate.linesPerSecond,
    burstBytes: Math.max(16 * 1024, rate.burstLines * maxLineBytes / 2),
    bytesPerSecond: Math.max(4 * 1024, rate.linesPerSecond * maxLineBytes),
  };
}

/** Two token buckets, one for lines and one for bytes. */
export class RateLimit {
  readonly #burstLines: number;
  readonly #linesPerMs: number;
  readonly #burstBytes: number;
  readonly #bytesPerMs: number;
  #lines: number;
  #bytes: number;
  #updatedAt: number;

  /** Makes a full budget. */
  constructor(options: RateLimitOptions = {}, now: number = performance.now()) {
    this.#burstLines = options.burstLines ?? 40;
    this.#linesPerMs = (options.linesPerSecond ?? 5) / 1000;
    this.#burstBytes = options.burstBytes ?? 16384;
    this.#bytesPerMs = (options.bytesPerSecond ?? 4096) / 1000;
    this.#lines = this.#burstLines;
    this.#bytes = this.#burstBytes;
    this.#updatedAt = now;
  }

  /** Spends one line of `bytes` bytes; `false` (and nothing spent) if over budget. */
  take(bytes: number, now: number = performance.now()): boolean {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#lines = Math.min(
      this.#burstLines,
      this.#lines + elapsed * this.#linesPerMs,
    );
    this.#bytes = Math.min(
      this.#burstBytes,
      this.#bytes + elapsed * this.#bytesPerMs,
    );
    if (this.#lines < 1 || this.#bytes < bytes) return false;
    this.#lines -= 1;
    this.#bytes -= bytes;
    return true;
  }
}
