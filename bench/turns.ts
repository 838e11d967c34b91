/**
 * Take-turns mode, timed: `bench/turns_driver.py` types scripted messages
 * into a server and a client and waits for each `Received:` line, for
 * chatlab's `server.ts`/`client.ts` and for the lesson's Python programs.
 * The driver is Python with blocking pipes so that its own share of each
 * exchange stays a few microseconds (a Deno driver's stream reads added
 * more than the lesson's programs take).
 *
 * @module
 */

import { Spawned } from "./processes.ts";

/** Which pair of programs is timed. */
export type TurnsPair = "chatlab" | "lesson";

/** What one timed run gives. */
export interface TurnsResult {
  /** Which pair ran. */
  pair: TurnsPair;
  /** Exchanges timed (after one untimed exchange that includes connecting). */
  exchanges: number;
  /** Wall time of the timed exchanges, ms. */
  elapsedMs: number;
  /** Exchanges per second. */
  exchangesPerSec: number;
}

/** Options for {@linkcode timeTurns}. */
export interface TurnsOptions {
  /** The server's core, or `null` to run anywhere. */
  serverCore: number | null;
  /** The client's core, or `null` to run anywhere. */
  clientCore: number | null;
}

/** The driver gives up after a minute; the runner waits a little longer. */
const DRIVER_LIMIT_MS = 75_000;

/** Runs `exchanges` timed exchanges between the two programs of `pair`. */
export async function timeTurns(
  pair: TurnsPair,
  exchanges: number,
  options: TurnsOptions,
): Promise<TurnsResult> {
  await using driver = new Spawned("python3", [
    "bench/turns_driver.py",
    pair,
    String(exchanges),
    String(options.serverCore ?? "any"),
    String(options.clientCore ?? "any"),
    Deno.execPath(),
  ]);
  const status = await driver.finish(DRIVER_LIMIT_MS);
  const json = driver.stdout.lines.findLast((line) => line.startsWith("{"));
  if (!status.success || json === undefined) {
    const why = driver.stderr.lines.slice(-3).join(" / ") || "(no output)";
    throw new Error(
      `the take-turns driver failed (exit ${status.code}): ${why}`,
    );
  }
  return JSON.parse(json);
}
