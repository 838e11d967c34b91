/**
 * Every default of the room in one place: the room, the option parser,
 * `server.ts --help` and the README's limits table (checked by a test) all
 * take their values from here.
 *
 * @module
 */

import {
  MAX_LINE_BYTES,
  MAX_UNTERMINATED_BYTES,
} from "../wire/line_splitter.ts";
import { MAX_QUEUED_BYTES } from "./outbox.ts";
import { lineRateLimitOptions } from "./rate_limit.ts";

/** The room's defaults; {@linkcode RoomOptions} documents each. */
export const ROOM_DEFAULTS = Object.freeze({
  hostName: "host",
  maxLineBytes: MAX_LINE_BYTES,
  maxUnterminatedBytes: MAX_UNTERMINATED_BYTES,
  maxQueuedBytes: MAX_QUEUED_BYTES,
  maxClients: 100,
  maxClientsPerAddress: 10,
  rateLimit: Object.freeze({ burstLines: 40, linesPerSecond: 5 }),
  nameTimeoutMs: 60_000,
  idleTimeoutMs: 3_600_000,
  historySize: 20,
  sweepIntervalMs: 1000,
  closeGraceMs: 2000,
  wrongPasswordDelayMs: 2000,
  resumeGraceMs: 60_000,
});

/** A flood guard: lines at once, then lines per second. */
export interface RateLimitSetting {
  /** Lines that may arrive at once (a paste). */
  burstLines: number;
  /** Lines per second the budget refills by. */
  linesPerSecond: number;
}

/**
 * The byte budget that goes with a line budget (`lineRateLimitOptions` in
 * `rate_limit.ts`): with the defaults, 20 KiB at once, 5 KiB per second.
 */
export function byteBudget(
  setting: RateLimitSetting,
  maxLineBytes: number,
): { burstBytes: number; bytesPerSecond: number } {
  const { burstBytes, bytesPerSecond } = lineRateLimitOptions(
    setting,
    maxLineBytes,
  );
  return { burstBytes, bytesPerSecond };
}
