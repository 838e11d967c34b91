/**
 * The benchmark matrix: what each run of the load generator does, in a full
 * run and in a `--quick` smoke run.
 *
 * @module
 */

import {
  STANDARD_TARGETS,
  type TargetName,
  targets as allTargets,
} from "./targets.ts";

/** What the matrix measures, one row group of the report each. */
export type ScenarioKind =
  | "flood"
  | "light"
  | "idle"
  | "stall"
  | "ws-flood"
  | "ws-light";

/** One configuration of the load generator (`bench/load.c`). */
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
  /**
   * Fewer lines for these targets: a server that relays a hundred times
   * slower than ncat would take minutes over the lines that give ncat a
   * second. Deliveries/s is a rate, so the figures still compare.
   */
  linesFor?: Partial<Record<TargetName, number>>;
  /** Lines per second per sender; 0 floods. */
  rate: number;
  /** The last `stall` clients: never read (`pause`), or read but are not counted (`read`). */
  stall: number;
  /** How the stalled clients behave. */
  stallMode: "pause" | "read";
  /** How long without a delivery ends the run. */
  quietMs: number;
  /** Only these targets run it (the standard ones, and `also`, when absent). */
  targets?: TargetName[];
  /** Targets that run it besides the standard ones. */
  also?: TargetName[];
  /**
   * How many of the clients speak WebSocket (to the server's `--web` port),
   * spread evenly among them and among the senders.
   */
  wsClients?: number;
  /** At most this many repeats, whatever `--repeats` says. */
  repeats?: number;
  /** The generator's limit on one run, ms (the runner's default when absent). */
  timeLimitMs?: number;
  /** Idle runs: RSS is read this long after the room has gone quiet, ms (the generator's 1000 when absent). */
  settleMs?: number;
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
  const idle = (clients: number): Scenario => ({
    ...base,
    id: `idle-${clients}`,
    title: `${clients} idle clients`,
    kind: "idle",
    clients,
    senders: 0,
    lines: 0,
    // After the room has gone quiet (the generator waits until no client
    // has read anything for a second: a room of 10,000 sends 50 million
    // join notices), time for a server to settle, as it would between
    // lessons.
    settleMs: q(3000, 1000),
    // What a bare connection costs in each runtime, for chatlab's and
    // Node's figures to be read against.
    also: ["deno-floor", "node-floor"],
  });
  const room = q(10, 10);
  const stallLines = q(20_000, 300);
  return [
    flood(2, 1, q(300_000, 2000)),
    // 30 M deliveries: long enough to measure a server doing 20 M/s; the
    // baselines (0.1–0.6 M/s) get a tenth, still several seconds.
    // And with its history in SQLite (`--db`), issue 14's cost of keeping it.
    {
      ...flood(q(100, 20), q(10, 4), q(30_000, 100)),
      also: ["chatlab-db"],
      linesFor: quick ? undefined : { node: 3000, python: 3000 },
    },
    // 300 lines each: 30 M deliveries, over a second even for ncat, and
    // 2.1 MB for every receiver, far more than chatlab's 256 KiB queue per
    // client: a receiver that fell behind would be dropped and counted.
    {
      ...flood(q(1000, 50), q(100, 5), q(300, 20)),
      linesFor: quick ? undefined : { node: 60, python: 30 },
    },
    {
      ...base,
      id: "light",
      title: `${q(100, 20)} clients, ${q(10, 4)} sending 20 lines/s each`,
      kind: "light",
      clients: q(100, 20),
      senders: q(10, 4),
      lines: q(100, 10),
      rate: 20,
      also: ["chatlab-db"],
    },
    // Half the room speaks WebSocket, as chatlab's page does, half TCP;
    // half the senders too. The Node `ws` baseline gets a fifth of the
    // lines: it relays some 0.3 M/s.
    {
      ...flood(q(200, 20), q(20, 4), q(2000, 50)),
      id: `ws-${q(200, 20)}:${q(20, 4)}`,
      title: `${q(100, 10)} WebSocket and ${q(100, 10)} TCP clients, ${
        q(10, 2)
      } of each sending, as fast as possible`,
      kind: "ws-flood",
      wsClients: q(100, 10),
      targets: ["chatlab", "node-ws"],
      linesFor: quick ? undefined : { "node-ws": 400 },
    },
    {
      ...base,
      id: "ws-light",
      title: `${q(50, 10)} WebSocket and ${q(50, 10)} TCP clients, ${
        q(5, 2)
      } of each sending 20 lines/s`,
      kind: "ws-light",
      clients: q(100, 20),
      senders: q(10, 4),
      wsClients: q(50, 10),
      lines: q(100, 10),
      rate: 20,
      targets: ["chatlab", "node-ws"],
    },
    idle(q(1000, 50)),
    // Every join is announced to everyone already in: 50 M notices for
    // 10,000 clients. Node's baseline needed six minutes for them (load 3-4), so
    // this runs once, with a longer limit; Python's (about 0.15 M/s) would
    // need six, and ncat --chat cannot: it uses select(), which stops at
    // 1024 descriptors ("Attempt to FD_SET fd 1024").
    {
      ...idle(q(10_000, 200)),
      targets: ["chatlab", "node", "deno-floor", "node-floor"],
      repeats: 1,
      timeLimitMs: 600_000,
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

/** Whether `target` runs `scenario`. */
export function runsOn(scenario: Scenario, target: TargetName): boolean {
  if (scenario.targets) return scenario.targets.includes(target);
  return STANDARD_TARGETS.includes(target) ||
    (scenario.also ?? []).includes(target);
}

/** How many lines each sender sends in `scenario` against `target`. */
export function linesOf(scenario: Scenario, target: string): number {
  return scenario.linesFor?.[target as TargetName] ?? scenario.lines;
}

/** Lines a WebSocket sender may have unacknowledged. */
export const WS_WINDOW = 100;

/** The generator's arguments for `scenario` against a server on `port`. */
export function loadArgs(
  scenario: Scenario,
  target: TargetName,
  port: number,
  serverPid: number,
  wsPort?: number,
): string[] {
  const ws = scenario.wsClients && wsPort !== undefined
    ? [
      "--ws-port",
      String(wsPort),
      "--ws-clients",
      String(scenario.wsClients),
      // As the page does, a sender keeps lines until they are acknowledged:
      // the WebSocket's "room to write" (Deno reads a WebSocket at once).
      "--ws-window",
      String(WS_WINDOW),
    ]
    : [];
  return [
    "--target",
    allTargets()[target].generatorTarget,
    ...ws,
    "--port",
    String(port),
    "--clients",
    String(scenario.clients),
    "--senders",
    String(scenario.senders),
    "--lines",
    String(linesOf(scenario, target)),
    "--rate",
    String(scenario.rate),
    "--stall",
    String(scenario.stall),
    "--stall-mode",
    scenario.stallMode,
    "--quiet-ms",
    String(scenario.quietMs),
    ...(scenario.settleMs === undefined
      ? []
      : ["--settle-ms", String(scenario.settleMs)]),
    "--server-pid",
    String(serverPid),
    // Ten joins in flight: ncat --chat dies (getpeername ... QUITTING) more
    // often when many connections arrive at once.
    "--connect-concurrency",
    "10",
  ];
}
