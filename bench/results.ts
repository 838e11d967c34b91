/**
 * What a benchmark run produces, and the statistics taken over repeats.
 *
 * @module
 */

import type { Scenario } from "./scenarios.ts";
import type { TargetName } from "./targets.ts";
import type { ProfileEntry } from "./profile.ts";

/** The JSON object the generator (`bench/load.c`) prints (the fields the report uses). */
export interface LoadResult {
  /** Deliveries the run should have made. */
  expected: number;
  /** Whole, valid lines received once each by a counted receiver. */
  delivered: number;
  /** Expected deliveries that never arrived whole, counted from each receiver's record. */
  lost: number;
  /** Lines received twice or more by the same receiver. */
  duplicated: number;
  /** Lines received after a later line of the same sender. */
  reordered: number;
  /** Whole payload lines with a wrong field, filler or check digit. */
  corrupted: number;
  /** Lines that are neither a payload nor a notice: pieces of split lines. */
  split: number;
  /** Lines holding more than one payload (a relay lost a `\n`). */
  merged: number;
  /** Payloads whose prefix does not name their sender. */
  misattributed: number;
  /** A sender's own lines sent back to it. */
  echoed: number;
  /** Clients the server disconnected while the run was measured. */
  disconnected: number;
  /** Delivery latency, ms. */
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** Time for every client to join, ms. */
  joinMs: number;
  /** Clients that never got the server's greeting. */
  joinFailed: number;
  /** Idle runs: time from the last join until no client read anything for 1 s, ms. */
  quietAfterMs?: number;
  /** Why the run ended. */
  stopped?: "complete" | "quiet" | "time limit";
  /** Deliveries per second, first send to last delivery. */
  deliveriesPerSec?: number;
  /** The generator's CPU time over wall time (1.0: one core, fully busy). */
  generatorCpuShare?: number | null;
  /** The server's CPU time over the same wall time. */
  serverCpuShare?: number | null;
  /** Server RSS before the clients connected, KiB. */
  serverRssBeforeKiB: number | null;
  /** Server RSS at the end, KiB. */
  serverRssKiB: number | null;
  /** Server peak RSS, KiB. */
  serverHwmKiB: number | null;
  /** Clients that never read and that the server disconnected (`null`: none stalled). */
  stalledDropped?: number | null;
  /** Each core's busy share (user, system, irq, softirq) while measured. */
  coreBusy?: (number | null)[] | null;
  /** Idle runs: server RSS added per connected client, bytes. */
  rssPerClientBytes?: number | null;
  /** The first few problems the generator noticed. */
  errors: string[];
  /** WebSocket `ack` frames the senders got (chatlab acknowledges each numbered line). */
  acks?: number;
  /** How many of the clients spoke WebSocket (absent: none). */
  wsClients?: number;
  /** Deliveries and latency by the receiver's kind, when some spoke WebSocket. */
  byKind?: { tcp: KindResult; ws: KindResult };
  /** The SQLite file's size after the run (`--db` targets), bytes. */
  dbFileBytes?: number;
}

/** What the receivers of one kind (TCP or WebSocket) got. */
export interface KindResult {
  /** Lines they received whole, once each. */
  delivered: number;
  /** Their deliveries per second, first send to their own last delivery. */
  deliveriesPerSec: number;
  /** Their delivery latency, ms. */
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
}

/** One repeat of one scenario against one target. */
export type LoadOutcome =
  | { ok: true; result: LoadResult; attempts: number; notes: string[] }
  | { ok: false; error: string; attempts: number; notes: string[] };

/** Everything a run measured. */
export interface BenchResults {
  /** When the run started, ISO 8601. */
  date: string;
  /** The machine and the programs' versions. */
  machine: Record<string, string>;
  /** Whether this was a `--quick` smoke run. */
  quick: boolean;
  /** Repeats of each figure. */
  repeats: number;
  /** Whether server and generator ran on cores of their own. */
  pinned: boolean;
  /** The command line that produced this. */
  command: string;
  /** The targets, in order. */
  targets: TargetName[];
  /** The matrix. */
  scenarios: Scenario[];
  /** Outcomes, by scenario id, then target. */
  load: Record<string, Partial<Record<TargetName, LoadOutcome[]>>>;
  /** Where chatlab's room spends its time under load, if profiled. */
  profiles: { scenario: string; top: ProfileEntry[]; file: string }[];
  /** How long the whole run took, s. */
  durationSec: number;
}

/** The middle of some numbers, and how far they spread. */
export interface Spread {
  /** The median. */
  median: number;
  /** The smallest. */
  min: number;
  /** The largest. */
  max: number;
  /** How many numbers. */
  count: number;
}

/** Median, min and max of `values` (nulls left out); `null` if none. */
export function spreadOf(values: (number | null | undefined)[]): Spread | null {
  const numbers = values.filter((value): value is number =>
    typeof value === "number" && Number.isFinite(value)
  ).sort((a, b) => a - b);
  if (numbers.length === 0) return null;
  const middle = Math.floor(numbers.length / 2);
  const median = numbers.length % 2 === 1
    ? numbers[middle]
    : (numbers[middle - 1] + numbers[middle]) / 2;
  return {
    median,
    min: numbers[0],
    max: numbers[numbers.length - 1],
    count: numbers.length,
  };
}

/** The successful results among `outcomes`. */
export function okResults(outcomes: LoadOutcome[] | undefined): LoadResult[] {
  return (outcomes ?? []).flatMap((outcome) =>
    outcome.ok ? [outcome.result] : []
  );
}

/** The spread of one field over the successful repeats. */
export function spreadOfField(
  outcomes: LoadOutcome[] | undefined,
  pick: (result: LoadResult) => number | null | undefined,
): Spread | null {
  return spreadOf(okResults(outcomes).map(pick));
}
