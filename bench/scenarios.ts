/**
 * The benchmark matrix: what each run of the load generator does, in a full
 * run and in a `--quick` smoke run.
 *
 * @module
 */

/** What the matrix measures, one row group of the report each. */
export type ScenarioKind = "flood" | "light" | "idle" | "stall";

/** One configuration of `bench/load.js`. */
export interface Scenario {
  /** A short, unique id: `flood-100:10`. */
  id: string;
  /** What the report calls it. */
  title: string;
  /** Which part of the report it belongs to. */
  kind: ScenarioKind;
  /** Clients in the room. */
  clients: number;
  /** How many of them send. */
  senders: number;
  /** Lines each sender sends (0: join, then stay idle). */
  lines: number;
  /** Lines per second per sender; 0 floods. */
  rate: number;
  /** The last `stall` clients: never read (`pause`), or read but are not counted (`read`). */
  stall: number;
  /** How the stalled clients behave. */
  stallMode: "pause" | "read";
  /** How long without a delivery ends the run. */
  quietMs: number;
}

/** The whole matrix, or a small one that only shows the harness works. */
export function scenarios(quick: boolean): Scenario[] {
  const q = (full: number, small: number) => quick ? small : full;
  const base = {
    rate: 0,
    stall: 0,
    stallMode: "pause" as const,
    quietMs: 2000,
  };
  const flood = (
    clients: number,
    senders: number,
    lines: number,
  ): Scenario => ({
    ...base,
    id: `flood-${clients}:${senders}`,
    title: `${clients} clients, ${senders} sending, as fast as possible`,
    kind: "flood",
    clients,
    senders,
    lines,
  });
  const room = q(10, 10);
  const stallLines = q(20_000, 300);
  return [
    flood(2, 1, q(300_000, 2000)),
    flood(q(100, 20), q(10, 4), q(3000, 100)),
    // 60 lines each: 432 KB for every receiver, more than a room should ever
    // need to hold at once for a client that is reading.
    flood(q(1000, 50), q(100, 5), q(60, 20)),
    {
      ...base,
      id: "light",
      title: `${q(100, 20)} clients, ${q(10, 4)} sending 20 lines/s each`,
      kind: "light",
      clients: q(100, 20),
      senders: q(10, 4),
      lines: q(100, 10),
      rate: 20,
    },
    {
      ...base,
      id: "idle",
      title: `${q(1000, 50)} idle clients`,
      kind: "idle",
      clients: q(1000, 50),
      senders: 0,
      lines: 0,
    },
    {
      ...base,
      id: "stall-control",
      title: `room of ${room}, ${room - 1} sending, everyone reads`,
      kind: "stall",
      clients: room,
      senders: room - 1,
      lines: stallLines,
      stall: 1,
      stallMode: "read",
    },
    {
      ...base,
      id: "stall",
      title: `room of ${room}, ${room - 1} sending, one never reads`,
      kind: "stall",
      clients: room,
      senders: room - 1,
      lines: stallLines,
      stall: 1,
      stallMode: "pause",
    },
  ];
}

/** The arguments of `bench/load.js` for `scenario` against a server on `port`. */
export function loadArgs(
  scenario: Scenario,
  target: string,
  port: number,
  serverPid: number,
): string[] {
  return [
    "--target",
    target,
    "--port",
    String(port),
    "--clients",
    String(scenario.clients),
    "--senders",
    String(scenario.senders),
    "--lines",
    String(scenario.lines),
    "--rate",
    String(scenario.rate),
    "--stall",
    String(scenario.stall),
    "--stall-mode",
    scenario.stallMode,
    "--quiet-ms",
    String(scenario.quietMs),
    "--server-pid",
    String(serverPid),
    // Ten joins in flight: ncat --chat dies (getpeername ... QUITTING) more
    // often when many connections arrive at once.
    "--connect-concurrency",
    "10",
  ];
}
