/**
 * The room's flood guard for one member: a {@linkcode RateLimit} budget of
 * lines and bytes, a warning on the first refused line, and a drop when the
 * refusals go on (twice the burst, in a row).
 *
 * @module
 */

import { utf8Length } from "../wire/utf8_length.ts";
import type { RateLimitSetting } from "./defaults.ts";
import { lineRateLimitOptions, RateLimit } from "./rate_limit.ts";

/** What to do with a line: relay it, refuse it with a warning, refuse it silently, or drop its sender. */
export type FloodVerdict = "pass" | "warn" | "refuse" | "drop";

/** One member's flood guard. */
export class FloodGuard {
  readonly #limit: RateLimit;
  readonly #dropAfter: number;
  #refused = 0;

  /** A full budget at `now` (milliseconds). */
  constructor(setting: RateLimitSetting, maxLineBytes: number, now: number) {
    this.#limit = new RateLimit(
      lineRateLimitOptions(setting, maxLineBytes),
      now,
    );
    this.#dropAfter = 2 * setting.burstLines;
  }

  /** Lines refused in a row so far. */
  get refusedLines(): number {
    return this.#refused;
  }

  /** Spends the budget for `text` at `now`, and says what to do with it. */
  check(text: string, now: number): FloodVerdict {
    if (this.#limit.take(utf8Length(text), now)) {
      this.#refused = 0;
      return "pass";
    }
    this.#refused++;
    if (this.#refused === 1) return "warn";
    return this.#refused > this.#dropAfter ? "drop" : "refuse";
  }
}
