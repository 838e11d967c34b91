/**
 * Turns benchmark results into BENCHMARKS.md: tables of medians with their
 * spread, ratios against the Node baseline and ncat, and the issue's
 * targets marked met or missed.
 *
 * @module
 */

import {
  type BenchResults,
  type LoadOutcome,
  type LoadResult,
  okResults,
  type Spread,
  spreadOf,
  spreadOfField,
} from "./results.ts";
import {
  STANDARD_TARGETS,
  type TargetName,
  targets,
  WS_PACKAGE,
} from "./targets.ts";
import { GENERATOR_CORE, SERVER_CORE } from "./processes.ts";

/** At or above this CPU share the generator, not the server, may be the limit. */
export const GENERATOR_BOUND_SHARE = 0.9;

/** The issue's targets. */
export const GOALS = {
  /** Deliveries/s at least this many times the Node baseline's. */
  vsNode: 5,
  /** Deliveries/s at least this share of ncat's. */
  vsNcat: 0.6,
  /** Light-load latency p99 at most this, ms. */
  lightP99Ms: 2,
  /** Server memory per idle connection at most this, bytes. */
  idleBytes: 8 * 1024,
  /** The others' deliveries/s with a stalled reader, as a share of the control's. */
  stallShare: 0.9,
  /** WebSocket deliveries/s at least this many times the Node `ws` baseline's. */
  wsVsNode: 2,
  /** A WebSocket client's light-load p99 at most this much above a TCP client's, ms. */
  wsP99OverTcpMs: 1,
  /** Deliveries/s at 100:10 with `--db`, at least this share of the in-memory room's. */
  dbShare: 0.8,
  /** Light-load p99 with `--db` at most this, ms. */
  dbLightP99Ms: 2,
} as const;

type Pick = (result: LoadResult) => number | null | undefined;

const LABELS = targets();

/** The whole BENCHMARKS.md. */
export function renderReport(results: BenchResults): string {
  const parts = [
    header(results),
    goals(results),
    throughput(results),
    light(results),
    websocket(results),
    database(results),
    idle(results),
    stall(results),
    profiles(results),
    failures(results),
    method(results),
  ];
  return parts.filter((part) => part !== "").join("\n\n") + "\n";
}

function header(results: BenchResults): string {
  const m = results.machine;
  return [
    "# Benchmarks",
    "",
    `Written by \`${results.command}\` on ${results.date}` +
    ` (${results.durationSec.toFixed(0)} s)` +
    (results.quick ? ", a `--quick` smoke run: its figures mean little." : "."),
    "",
    "| machine | |",
    "| --- | --- |",
    ...Object.entries(m).map(([key, value]) => `| ${key} | ${value} |`),
    `| pinning | ${
      results.pinned
        ? "server on core 0, load generator on core 1 (`taskset`)"
        : "none (taskset missing or fewer than 2 cores)"
    } |`,
    `| repeats | ${results.repeats} per figure; cells show median (min–max) |`,
    "",
    "These machines are noisy: compare figures from the same run only. Each",
    "server is started fresh for every repeat.",
  ].join("\n");
}

function goals(results: BenchResults): string {
  const rows: string[][] = [];
  for (const id of ["flood-1000:100", "flood-100:10"]) {
    const scenario = results.scenarios.find((s) => s.id === id);
    if (!scenario) continue;
    const outcomes = results.load[id] ?? {};
    const rate = (name: TargetName) =>
      spreadOfField(outcomes[name], (r) => r.deliveriesPerSec)?.median;
    const chatlab = rate("chatlab");
    const problems = maxProblems(outcomes.chatlab);
    for (
      const [other, goal, label] of [
        ["node", GOALS.vsNode, `≥ ${GOALS.vsNode}× the Node baseline`],
        ["ncat", GOALS.vsNcat, `≥ ${GOALS.vsNcat}× ncat --chat`],
      ] as const
    ) {
      const theirs = rate(other);
      const ratio = chatlab && theirs ? chatlab / theirs : undefined;
      rows.push([
        `deliveries/s at ${id.slice(6)} ${label}`,
        ratio === undefined ? "n/a" : `${ratio.toFixed(2)}×`,
        verdict(
          ratio,
          (r) => r >= goal,
          (r) => `${(goal / r).toFixed(1)}× short`,
        ),
      ]);
    }
    rows.push([
      `no line lost, duplicated, reordered, corrupted, split, merged, echoed or misattributed at ${
        id.slice(6)
      }`,
      problems === null ? "n/a" : `${problems} bad lines (worst repeat)`,
      verdict(problems ?? undefined, (p) => p === 0, (p) => `${p} bad lines`),
    ]);
  }
  const p99 = spreadOfField(results.load.light?.chatlab, (r) => r.latencyMs.p99)
    ?.median;
  rows.push([
    `light-load latency p99 ≤ ${GOALS.lightP99Ms} ms`,
    p99 === undefined ? "n/a" : `${p99.toFixed(2)} ms`,
    verdict(
      p99,
      (v) => v <= GOALS.lightP99Ms,
      (v) => `${(v - GOALS.lightP99Ms).toFixed(2)} ms over`,
    ),
  ]);
  const firstIdle = results.scenarios.find((s) => s.kind === "idle");
  const perClient = spreadOfField(
    results.load[firstIdle?.id ?? ""]?.chatlab,
    (r) => r.rssPerClientBytes,
  )?.median;
  rows.push([
    `server RSS per idle connection at ${firstIdle?.clients ?? 1000} ≤ ${
      GOALS.idleBytes / 1024
    } KiB`,
    perClient === undefined ? "n/a" : kib(perClient),
    verdict(
      perClient,
      (v) => v <= GOALS.idleBytes,
      (v) => `${kib(v - GOALS.idleBytes)} over`,
    ),
  ]);
  const control = spreadOfField(
    results.load["stall-control"]?.chatlab,
    (r) => r.deliveriesPerSec,
  );
  const stalled = spreadOfField(
    results.load.stall?.chatlab,
    (r) => r.deliveriesPerSec,
  )?.median;
  const stallShare = control && stalled !== undefined
    ? stalled / control.median
    : undefined;
  const controlLow = control ? control.min / control.median : 1;
  rows.push([
    "a client that never reads costs the others nothing measurable",
    stallShare === undefined
      ? "n/a"
      : `others get ${(stallShare * 100).toFixed(0)}% of the control's median` +
        ` (its own repeats: ${(controlLow * 100).toFixed(0)}% and up)`,
    // "Nothing measurable": within 10%, or within the control's own spread.
    verdict(
      stallShare,
      (v) => v >= GOALS.stallShare || v >= controlLow,
      (v) => `${((1 - v) * 100).toFixed(0)}% slower`,
    ),
  ]);
  for (const scenario of results.scenarios.filter((s) => s.kind === "idle")) {
    const outcomes = results.load[scenario.id] ?? {};
    const pick: Pick = (r) => r.rssPerClientBytes;
    const ours = spreadOfField(outcomes.chatlab, pick)?.median;
    const node = spreadOfField(outcomes.node, pick)?.median;
    rows.push([
      `server RSS per idle connection at ${scenario.clients} ≤ the Node baseline's`,
      ours === undefined || node === undefined
        ? "n/a"
        : `${kib(ours)} vs ${kib(node)}`,
      verdict(
        ours === undefined || node === undefined ? undefined : ours - node,
        (v) => v <= 0,
        (v) => `${kib(v)} over`,
      ),
    ]);
  }
  rows.push(...wsGoals(results), ...dbGoals(results));
  const behind = rowsBehindBaselines(results);
  rows.push([
    "deliveries/s never behind the Node and Python baselines",
    behind === null
      ? "n/a"
      : behind.length === 0
      ? "no row"
      : behind.join("; "),
    verdict(
      behind ?? undefined,
      (b) => b.length === 0,
      (b) => `${b.length} rows behind`,
    ),
  ]);
  return [
    "## The issue's targets (chatlab)",
    "",
    table(["target", "measured", "met?"], rows),
  ].join("\n");
}

function throughput(results: BenchResults): string {
  const floods = results.scenarios.filter((s) => s.kind === "flood");
  if (floods.length === 0) return "";
  const names = standardNames(results);
  const rows: string[][] = [];
  for (const scenario of floods) {
    const outcomes = results.load[scenario.id] ?? {};
    rows.push([`**${scenario.title}**`, ...names.map(() => ""), "", ""]);
    const metrics: [string, Pick, (v: number) => string, boolean][] = [
      ["deliveries/s", (r) => r.deliveriesPerSec, rate, true],
      ["latency p50", (r) => r.latencyMs.p50, ms, false],
      ["latency p99", (r) => r.latencyMs.p99, ms, false],
      ["lost", (r) => r.lost, count, false],
      ["duplicated", (r) => r.duplicated, count, false],
      ["reordered", (r) => r.reordered, count, false],
      ["corrupted", (r) => r.corrupted, count, false],
      ["split", (r) => r.split, count, false],
      ["merged", (r) => r.merged, count, false],
      ["echoed", (r) => r.echoed, count, false],
      ["misattributed", (r) => r.misattributed, count, false],
      ["clients dropped", (r) => r.disconnected, count, false],
      ["generator CPU share", (r) => r.generatorCpuShare, share, false],
      ["server CPU share", (r) => r.serverCpuShare, share, false],
    ];
    for (const [label, pick, format, ratios] of metrics) {
      rows.push([
        label,
        ...names.map((name) => cell(outcomes[name], pick, format, ratios)),
        ratios ? ratio(outcomes, pick, "node") : "",
        ratios ? ratio(outcomes, pick, "ncat") : "",
      ]);
    }
  }
  return [
    "## Fan-out: every client reads every line",
    "",
    "Each sender sends its lines as fast as the server takes them (10 lines",
    "per write); every client reads everything. Deliveries/s counts lines",
    "received whole by a receiver, from the first send to the last delivery.",
    "Latency here is mostly queueing: the room is saturated on purpose.",
    "At 100 and 1000 clients the Node and Python baselines send fewer lines",
    "(see bench/scenarios.ts): at their speed the full count would take",
    "minutes; a rate compares all the same.",
    `${GENERATOR_MARK}: the generator (its process or its core) was ≥ ${GENERATOR_BOUND_SHARE} busy while the`,
    "server (process and core) was not: the generator was the limit, and the server's real",
    "capacity is higher than shown (so a ratio against it is flattering).",
    "",
    table(
      [
        "",
        ...names.map((n) => LABELS[n].label),
        "chatlab ÷ Node",
        "chatlab ÷ ncat",
      ],
      rows,
    ),
  ].join("\n");
}

function light(results: BenchResults): string {
  const scenario = results.scenarios.find((s) => s.kind === "light");
  if (!scenario) return "";
  const outcomes = results.load[scenario.id] ?? {};
  const names = standardNames(results);
  const metrics: [string, Pick, (v: number) => string][] = [
    ["latency p50", (r) => r.latencyMs.p50, ms],
    ["latency p99", (r) => r.latencyMs.p99, ms],
    ["latency max", (r) => r.latencyMs.max, ms],
    ["deliveries/s", (r) => r.deliveriesPerSec, rate],
    ["lost", (r) => r.lost, count],
    ["corrupted", (r) => r.corrupted, count],
  ];
  return [
    `## Latency under light load: ${scenario.title}`,
    "",
    "Each sender sends one line every 50 ms; latency is from the sender's",
    "write to the receiver's read, both in the generator (one clock).",
    "",
    metricsTable(names, outcomes, metrics),
    "",
    "Where chatlab's tail comes from, measured by hand on this machine: a",
    "line goes to 99 receivers with one write each, one after another on the",
    "room's thread, and 99 writes of one line to 99 sockets took 0.83 ms",
    "(`Deno.Conn.write`, median of 200 rounds; p90 1.12 ms): the last",
    "receiver of a line hears it about a millisecond after the first, and a",
    "line that arrives in the same turn waits behind it. V8's collections",
    "are not it: `--trace-gc` over a light run shows a scavenge every 85 ms",
    "or so, each 0.23 to 0.28 ms, and no full collection. The rest is the",
    "machine: the Python baseline makes the same writes, and its p99 moves",
    "as much from run to run (1.58 and 4.00 ms in this session's two full",
    "runs, chatlab's 2.42 and 4.34 ms; 0.86 ms on the faster machine of an",
    "earlier full run).",
  ].join("\n");
}

/** One row per metric, one column per target. */
function metricsTable(
  names: BenchResults["targets"],
  outcomes: Partial<Record<TargetName, LoadOutcome[]>>,
  metrics: [string, Pick, (v: number) => string][],
): string {
  return table(
    ["", ...names.map((n) => LABELS[n].label)],
    metrics.map(([label, pick, format]) => [
      label,
      ...names.map((name) => cell(outcomes[name], pick, format)),
    ]),
  );
}

/**
 * The fan-out rows where chatlab's deliveries/s are behind the Node or
 * Python baseline's; `null` when chatlab was not measured.
 */
function rowsBehindBaselines(results: BenchResults): string[] | null {
  if (!results.targets.includes("chatlab")) return null;
  const checks: [string, string, Pick, boolean][] = [
    ...results.scenarios.filter((s) => s.kind === "flood").map((
      s,
    ): [string, string, Pick, boolean] => [
      s.id,
      `deliveries/s at ${s.id.slice(6)}`,
      (r) => r.deliveriesPerSec,
      true,
    ]),
  ];
  const behind: string[] = [];
  for (const [id, label, pick, higherIsBetter] of checks) {
    const outcomes = results.load[id] ?? {};
    const ours = spreadOfField(outcomes.chatlab, pick)?.median;
    if (ours === undefined) continue;
    for (const other of ["node", "python"] as const) {
      const theirs = spreadOfField(outcomes[other], pick)?.median;
      if (theirs === undefined) continue;
      if (higherIsBetter ? ours < theirs : ours > theirs) {
        behind.push(`${label} vs ${LABELS[other].label}`);
      }
    }
  }
  return behind;
}

function idle(results: BenchResults): string {
  const idles = results.scenarios.filter((s) => s.kind === "idle");
  if (idles.length === 0) return "";
  const floors = FLOOR_TARGETS.filter((name) =>
    idles.some((s) => ranIn(results, s.id).includes(name))
  );
  const names = [...standardNames(results), ...floors];
  const rows: string[][] = [];
  for (const scenario of idles) {
    const outcomes = results.load[scenario.id] ?? {};
    rows.push([`**${scenario.title}**`, ...names.map(() => "")]);
    const metrics: [string, Pick, (v: number) => string][] = [
      ["server RSS per connection", (r) => r.rssPerClientBytes, kib],
      ["server RSS before", (r) => r.serverRssBeforeKiB, (v) => kib(v * 1024)],
      [
        "server RSS with everyone in",
        (r) => r.serverRssKiB,
        (v) => kib(v * 1024),
      ],
      ["server peak RSS", (r) => r.serverHwmKiB, (v) => kib(v * 1024)],
      [`time for ${scenario.clients} clients to join`, (r) => r.joinMs, ms],
      ["then until the room is quiet", (r) => r.quietAfterMs, ms],
    ];
    for (const [label, pick, format] of metrics) {
      rows.push([
        label,
        ...names.map((name) => cell(outcomes[name], pick, format)),
      ]);
    }
  }
  const [small, large] = idles;
  if (small && large) {
    rows.push([
      `**growth from ${small.clients} to ${large.clients} clients**`,
      ...names.map(() => ""),
    ]);
    rows.push([
      "RSS added per extra connection",
      ...names.map((name) => {
        const before = spreadOfField(
          results.load[small.id]?.[name],
          (r) => r.serverRssKiB,
        )?.median;
        const after = spreadOfField(
          results.load[large.id]?.[name],
          (r) => r.serverRssKiB,
        )?.median;
        if (before === undefined || after === undefined) return "—";
        return kib((after - before) * 1024 / (large.clients - small.clients));
      }),
    ]);
  }
  return [
    "## Idle clients: memory and joining",
    "",
    "Clients join ten at a time (each connects, sends its name where the",
    "server asks for one, and waits for the greeting). RSS is read from",
    "/proc/PID/status before the first client, and again once the room is",
    "idle: when no client has read anything for a second (every join is",
    "announced to everyone already in, N²/2 notices, and the generator reads",
    'them as they come: the row "then until the room is quiet"), and three',
    "seconds more. Per connection is the difference over the number of",
    "clients. The two bare servers greet each client and hold its",
    "connection, nothing else: what a connection costs in each runtime before",
    "a room is built on it (`bench/floor_deno.ts`: a `Deno.Conn` with one",
    "256-byte read waiting, and chatlab's memory reclaimer;",
    "`bench/floor_node.js`: a `net.Socket` with a `data` listener). The",
    "generator and each server raise their own open-file limit (`ulimit -n`",
    "in the bash wrapper that starts them).",
    "",
    table(["", ...names.map((n) => LABELS[n].label)], rows),
    "",
    "After a burst (a class joining, a flood) the server asks V8 for one",
    "memory-reducing collection once its heap has at least doubled and it",
    "has gone quiet (`lib/cli/memory_reclaimer.ts`): V8's memory reducer",
    "does that in Node and in browsers, but does not run while Deno's event",
    "loop waits (a room left idle after 10,000 joins kept a heap of 220 to",
    "250 MiB for 30 s while the objects in it took 66 MiB).",
    "",
    "Where chatlab's memory goes with 10,000 idle members, measured by hand",
    "on this code once the collection has run:",
    "",
    "- V8's heap: 3.65 KiB in use per member (41.9 MiB, against 5.4 before",
    "  anyone joined). The bare Deno server's: 2.5 KiB per connection, in",
    "  Deno's own objects (the connection, its two addresses in dictionary",
    "  mode, the set of its pending reads, the `read()` under way with its",
    "  promises and closures). The room's own objects add about 1.2 KiB (a",
    "  heap snapshot at 2000 members, by constructor): the read loop's",
    "  suspended async function, its outbox and the outbox's two callbacks,",
    "  the queue of runs waiting, the member, its line splitter, read buffer,",
    "  seat and record.",
    "- C's heap (`malloc`): an allocation tracker preloaded into deno (live",
    "  allocations by call site and size, at 2000 members) finds the same",
    "  allocations per member in chatlab as in the bare server, from the same",
    "  call sites with the same sizes (about 1.3 KB: Deno's record of the",
    "  connection and of the read waiting on it). What chatlab holds beyond",
    "  that is memory glibc keeps after the burst's writes: at 10,000 members",
    "  31.5 MB taken from the system, 20.9 MB of it in use after the",
    "  collection; `malloc_trim(0)`, called into the server with gdb, gave",
    "  back 11 MB (RSS 125 to 114 MB: 6.5 KiB per member). Deno can call it",
    "  only with `--allow-ffi`, which is as good as `--allow-all`: not a",
    "  permission to ask of a chat server.",
    "- The parts of the deno binary that relaying brings into memory: about",
    "  6 MiB once.",
    "",
    "So the two runtimes' bare connections cost about the same (the last",
    "two columns); what sets chatlab's room apart from Node's is the room:",
    "about 1.2 KiB of objects per member and the memory glibc keeps after",
    "the burst, where Node's keeps a socket's readline interface and",
    "closures. Kept besides: reads into 256 bytes",
    "while a member is idle (4 KiB once it is busy); join and leave notices",
    "that wait up to 50 ms to share a write (the same lines, in the same",
    "order); a member's seat as one object instead of six closures. Tried",
    "and not kept: notices waiting 250 ms instead of 50, for fewer writes",
    "(7.8 KiB per member at 10,000: no gain); `--v8-flags=--single-threaded`",
    "(about 13 KiB at 1000, as V8's compiler threads then keep no memory, but",
    "30% fewer deliveries/s at 2:1 and 100:10 and twice the light-load p99,",
    "run back to back); V8's young generation held to 1 or 2 MiB",
    "(`--max-semi-space-size`: less memory at 1000 but more at 10,000, and",
    "the WebSocket row 14% slower); a plain full collection every 300 ms (it",
    "leaves the young generation as big as it grew: no gain); capping the",
    "greeting's list of names; `--min-semi-space-size=1`,",
    "`--heap-growing-percent=20` and `MALLOC_ARENA_MAX=1` (within the",
    "noise).",
  ].join("\n");
}

function stall(results: BenchResults): string {
  const control = results.scenarios.find((s) => s.id === "stall-control");
  const stalled = results.scenarios.find((s) => s.id === "stall");
  if (!control || !stalled) return "";
  const names = standardNames(results);
  const rows: string[][] = [];
  for (const scenario of [control, stalled]) {
    const outcomes = results.load[scenario.id] ?? {};
    rows.push([`**${scenario.title}**`, ...names.map(() => "")]);
    const metrics: [string, Pick, (v: number) => string][] = [
      ["others' deliveries/s", (r) => r.deliveriesPerSec, rate],
      ["others' lost lines", (r) => r.lost, count],
      ["server peak RSS", (r) => r.serverHwmKiB, (v) => kib(v * 1024)],
      ["server RSS at the end", (r) => r.serverRssKiB, (v) => kib(v * 1024)],
      ["clients dropped", (r) => r.disconnected, count],
      ["the never-reading client dropped", (r) => r.stalledDropped, count],
    ];
    for (const [label, pick, format] of metrics) {
      rows.push([
        label,
        ...names.map((name) => cell(outcomes[name], pick, format)),
      ]);
    }
    rows.push([
      "how the run ended",
      ...names.map((name) => endings(outcomes[name])),
    ]);
  }
  return [
    "## One client that never reads",
    "",
    `${stalled.senders} of the ${stalled.clients} clients each send ${stalled.lines} lines as fast as`,
    "they can. In the control every client reads; otherwise the last one",
    "never reads a byte. Only the others' deliveries are counted, in both.",
    "A run ends when every line has arrived, or after 2 s without a",
    'delivery ("quiet": the room stalled).',
    "",
    table(["", ...names.map((n) => LABELS[n].label)], rows),
  ].join("\n");
}

/** The references for memory: a bare connection in each runtime, nothing else. */
const FLOOR_TARGETS: readonly TargetName[] = ["deno-floor", "node-floor"];

/** The targets of the tables every scenario fills (not the WebSocket or `--db` ones). */
function standardNames(results: BenchResults): TargetName[] {
  return results.targets.filter((name) => STANDARD_TARGETS.includes(name));
}

/** The targets that ran `scenario` in this run, in the run's order. */
function ranIn(results: BenchResults, id: string): TargetName[] {
  const outcomes = results.load[id] ?? {};
  return results.targets.filter((name) => outcomes[name] !== undefined);
}

function websocket(results: BenchResults): string {
  const floods = results.scenarios.filter((s) => s.kind === "ws-flood");
  const lights = results.scenarios.filter((s) => s.kind === "ws-light");
  if (floods.length === 0 && lights.length === 0) return "";
  const all = [...floods, ...lights];
  const names = results.targets.filter((name) =>
    all.some((s) => ranIn(results, s.id).includes(name))
  );
  const rows: string[][] = [];
  const blank = () => ["", ...names.map(() => ""), ""];
  for (const scenario of floods) {
    const outcomes = results.load[scenario.id] ?? {};
    rows.push([`**${scenario.title}**`, ...blank().slice(1)]);
    const metrics: [string, Pick, (v: number) => string, boolean][] = [
      [
        "deliveries/s to WebSocket clients",
        (r) => r.byKind?.ws.deliveriesPerSec,
        rate,
        true,
      ],
      [
        "deliveries/s to TCP clients",
        (r) => r.byKind?.tcp.deliveriesPerSec,
        rate,
        true,
      ],
      ["deliveries/s, all", (r) => r.deliveriesPerSec, rate, true],
      [
        "latency p50, WebSocket clients",
        (r) => r.byKind?.ws.latencyMs.p50,
        ms,
        false,
      ],
      [
        "latency p99, WebSocket clients",
        (r) => r.byKind?.ws.latencyMs.p99,
        ms,
        false,
      ],
      [
        "latency p99, TCP clients",
        (r) => r.byKind?.tcp.latencyMs.p99,
        ms,
        false,
      ],
      ["lost", (r) => r.lost, count, false],
      ["duplicated", (r) => r.duplicated, count, false],
      ["reordered", (r) => r.reordered, count, false],
      ["corrupted", (r) => r.corrupted, count, false],
      ["split", (r) => r.split, count, false],
      ["merged", (r) => r.merged, count, false],
      ["echoed", (r) => r.echoed, count, false],
      ["misattributed", (r) => r.misattributed, count, false],
      ["clients dropped", (r) => r.disconnected, count, false],
      ["acknowledgements", (r) => r.acks, count, false],
      ["generator CPU share", (r) => r.generatorCpuShare, share, false],
      ["server CPU share", (r) => r.serverCpuShare, share, false],
    ];
    for (const [label, pick, format, ratios] of metrics) {
      rows.push([
        label,
        ...names.map((name) => cell(outcomes[name], pick, format, ratios)),
        ratios ? ratio(outcomes, pick, "node-ws") : "",
      ]);
    }
  }
  for (const scenario of lights) {
    const outcomes = results.load[scenario.id] ?? {};
    rows.push([`**${scenario.title}**`, ...blank().slice(1)]);
    const metrics: [string, Pick, (v: number) => string][] = [
      ["latency p50, WebSocket clients", (r) => r.byKind?.ws.latencyMs.p50, ms],
      ["latency p50, TCP clients", (r) => r.byKind?.tcp.latencyMs.p50, ms],
      ["latency p99, WebSocket clients", (r) => r.byKind?.ws.latencyMs.p99, ms],
      ["latency p99, TCP clients", (r) => r.byKind?.tcp.latencyMs.p99, ms],
      ["p99: WebSocket − TCP", wsOverTcpP99, signedMs],
      ["latency max", (r) => r.latencyMs.max, ms],
      ["deliveries/s", (r) => r.deliveriesPerSec, rate],
      ["lost", (r) => r.lost, count],
      ["corrupted", (r) => r.corrupted, count],
      ["misattributed", (r) => r.misattributed, count],
    ];
    for (const [label, pick, format] of metrics) {
      rows.push([
        label,
        ...names.map((name) => cell(outcomes[name], pick, format)),
        "",
      ]);
    }
  }
  return [
    "## WebSocket and TCP clients in one room",
    "",
    "chatlab runs with `--web PORT`; half of the room joins there as chatlab's",
    "page does (see How this is measured), half over TCP, and every client",
    "reads everything. A kind's deliveries/s runs from the first send to the",
    "last delivery to a client of that kind; latency is split by the",
    "receiver's kind. The Node `ws` baseline gets fewer lines at full speed",
    "(see bench/scenarios.ts); a rate compares all the same.",
    `${GENERATOR_MARK}: the generator was the limit (as above).`,
    "",
    table(
      ["", ...names.map((n) => LABELS[n].label), "chatlab ÷ Node ws"],
      rows,
    ),
  ].join("\n");
}

/** A WebSocket client's light-load p99 minus a TCP client's, ms. */
const wsOverTcpP99: Pick = (r) => {
  const ws = r.byKind?.ws.latencyMs.p99;
  const tcp = r.byKind?.tcp.latencyMs.p99;
  return typeof ws === "number" && typeof tcp === "number"
    ? ws - tcp
    : undefined;
};

function database(results: BenchResults): string {
  const ids = results.scenarios.filter((s) =>
    s.also?.includes("chatlab-db") &&
    results.load[s.id]?.["chatlab-db"] !== undefined
  );
  if (ids.length === 0) return "";
  const names: TargetName[] = ["chatlab", "chatlab-db"];
  const rows: string[][] = [];
  for (const scenario of ids) {
    const outcomes = results.load[scenario.id] ?? {};
    rows.push([`**${scenario.title}**`, "", "", ""]);
    const metrics: [string, Pick, (v: number) => string, boolean][] = [
      ["deliveries/s", (r) => r.deliveriesPerSec, rate, true],
      ["latency p50", (r) => r.latencyMs.p50, ms, false],
      ["latency p99", (r) => r.latencyMs.p99, ms, true],
      ["bad lines (lost, duplicated, reordered, …)", badLines, count, false],
      ["clients dropped", (r) => r.disconnected, count, false],
      ["server CPU share", (r) => r.serverCpuShare, share, false],
      ["server peak RSS", (r) => r.serverHwmKiB, (v) => kib(v * 1024), false],
      ["SQLite file after the run", (r) => r.dbFileBytes, kib, false],
    ];
    for (const [label, pick, format, ratios] of metrics) {
      const ours = spreadOfField(outcomes["chatlab-db"], pick)?.median;
      const memory = spreadOfField(outcomes.chatlab, pick)?.median;
      rows.push([
        label,
        ...names.map((name) => cell(outcomes[name], pick, format)),
        ratios && ours !== undefined && memory
          ? `${(ours / memory).toFixed(2)}×`
          : "",
      ]);
    }
  }
  return [
    "## History in SQLite (`--db`)",
    "",
    "The same rooms, chatlab in memory and chatlab keeping every message in",
    "a SQLite file (`--db FILE`, a fresh file each repeat; its size is read",
    "after the server stopped, write-ahead log included).",
    "",
    table(["", ...names.map((n) => LABELS[n].label), "--db ÷ in memory"], rows),
  ].join("\n");
}

function badLines(r: LoadResult): number {
  return r.lost + r.duplicated + r.reordered + r.corrupted + (r.split ?? 0) +
    (r.merged ?? 0) + r.echoed + r.misattributed;
}

/** Issue 13's WebSocket rows, when the run had them. */
function wsGoals(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const scenario of results.scenarios) {
    const outcomes = results.load[scenario.id] ?? {};
    if (scenario.kind === "ws-flood") {
      const pick: Pick = (r) => r.byKind?.ws.deliveriesPerSec;
      const ours = spreadOfField(outcomes.chatlab, pick)?.median;
      const node = spreadOfField(outcomes["node-ws"], pick)?.median;
      const times = ours !== undefined && node ? ours / node : undefined;
      const where = scenario.id.slice(3);
      rows.push([
        `WebSocket deliveries/s at ${where} (half WebSocket) ≥ ${GOALS.wsVsNode}× the Node ws baseline`,
        times === undefined ? "n/a" : `${times.toFixed(2)}×`,
        verdict(
          times,
          (t) => t >= GOALS.wsVsNode,
          (t) => `${(GOALS.wsVsNode / t).toFixed(1)}× short`,
        ),
      ]);
      const problems = maxProblems(outcomes.chatlab);
      const dropped = spreadOf(
        okResults(outcomes.chatlab).map((r) => r.disconnected),
      )?.max;
      rows.push([
        `no line lost, duplicated, reordered, corrupted, split, merged, echoed or misattributed, and no client dropped, at ${where} (half WebSocket)`,
        problems === null
          ? "n/a"
          : `${problems} bad lines, ${
            dropped ?? 0
          } clients dropped (worst repeat)`,
        verdict(
          problems === null ? undefined : [problems, dropped ?? 0],
          ([p, d]) => p === 0 && d === 0,
          ([p, d]) => `${p} bad lines, ${d} dropped`,
        ),
      ]);
    } else if (scenario.kind === "ws-light") {
      const ws = spreadOfField(
        outcomes.chatlab,
        (r) => r.byKind?.ws.latencyMs.p99,
      )?.median;
      const tcp = spreadOfField(
        outcomes.chatlab,
        (r) => r.byKind?.tcp.latencyMs.p99,
      )?.median;
      const over = ws !== undefined && tcp !== undefined ? ws - tcp : undefined;
      rows.push([
        `light load: a WebSocket client's latency p99 within ${GOALS.wsP99OverTcpMs} ms of a TCP client's (same room)`,
        over === undefined
          ? "n/a"
          : `${ms(ws!)} vs ${ms(tcp!)} (${signedMs(over)})`,
        verdict(
          over,
          (v) => v <= GOALS.wsP99OverTcpMs,
          (v) => `${(v - GOALS.wsP99OverTcpMs).toFixed(2)} ms over`,
        ),
      ]);
    }
  }
  return rows;
}

/** Issue 14's `--db` rows, when the run had them. */
function dbGoals(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const scenario of results.scenarios) {
    const outcomes = results.load[scenario.id] ?? {};
    if (outcomes["chatlab-db"] === undefined) continue;
    if (scenario.kind === "flood") {
      const pick: Pick = (r) => r.deliveriesPerSec;
      const db = spreadOfField(outcomes["chatlab-db"], pick)?.median;
      const memory = spreadOfField(outcomes.chatlab, pick)?.median;
      const share = db !== undefined && memory ? db / memory : undefined;
      const where = scenario.id.slice(6);
      rows.push([
        `deliveries/s at ${where} with --db ≥ ${GOALS.dbShare}× in memory (same run)`,
        share === undefined ? "n/a" : `${share.toFixed(2)}×`,
        verdict(
          share,
          (v) => v >= GOALS.dbShare,
          (v) => `${((GOALS.dbShare - v) * 100).toFixed(0)} points short`,
        ),
      ]);
      const problems = maxProblems(outcomes["chatlab-db"]);
      rows.push([
        `no bad line at ${where} with --db`,
        problems === null ? "n/a" : `${problems} bad lines (worst repeat)`,
        verdict(problems ?? undefined, (p) => p === 0, (p) => `${p} bad lines`),
      ]);
    } else if (scenario.kind === "light") {
      const p99 = spreadOfField(
        outcomes["chatlab-db"],
        (r) => r.latencyMs.p99,
      )?.median;
      rows.push([
        `light-load latency p99 with --db ≤ ${GOALS.dbLightP99Ms} ms`,
        p99 === undefined ? "n/a" : `${p99.toFixed(2)} ms`,
        verdict(
          p99,
          (v) => v <= GOALS.dbLightP99Ms,
          (v) => `${(v - GOALS.dbLightP99Ms).toFixed(2)} ms over`,
        ),
      ]);
    }
  }
  return rows;
}

function profiles(results: BenchResults): string {
  if (results.profiles.length === 0) return "";
  const parts = [
    "## Where chatlab's room spends its time",
    "",
    "`deno run --cpu-prof` on the room server during one run; functions by",
    "self time, as a share of the time the server was not idle.",
  ];
  for (const profile of results.profiles) {
    parts.push(
      "",
      `**${profile.scenario}** (\`${profile.file}\`)`,
      "",
      table(
        ["share", "self ms", "function", "where"],
        profile.top.map((entry) => [
          `${(entry.share * 100).toFixed(1)}%`,
          entry.selfMs.toFixed(0),
          `\`${shorten(entry.name, 60)}\``,
          entry.where,
        ]),
      ),
    );
  }
  return parts.join("\n");
}

function failures(results: BenchResults): string {
  const lines: string[] = [];
  for (const [id, byTarget] of Object.entries(results.load)) {
    for (const [name, outcomes] of Object.entries(byTarget)) {
      for (const [index, outcome] of (outcomes ?? []).entries()) {
        const where = `${id}, ${name}, repeat ${index + 1}`;
        if (!outcome.ok) lines.push(`- ${where}: failed: ${outcome.error}`);
        for (const note of outcome.notes) lines.push(`- ${where}: ${note}`);
      }
    }
  }
  if (lines.length === 0) return "";
  return ["## Failures and notes", "", ...lines].join("\n");
}

function method(results: BenchResults): string {
  const flags = "`" + "--max-clients 2000 --max-per-address 2000 " +
    "--rate-limit off --idle-timeout 0" + "`";
  return [
    "## How this is measured",
    "",
    "- `bench/load.c` is the load generator, a process of its own: C built",
    "  with `gcc -O2` into bench/build/ by `deno task bench`, one thread, one",
    "  epoll loop, one reused 256 KiB read buffer. Every line is 64 bytes:",
    "  sender, sequence number, send time (µs, monotonic clock), filler and a",
    "  check digit, at a fixed distance from the line end, so a server's",
    "  prefix is skipped without parsing. Each receiver checks each sender's",
    "  lines: corrupted (a whole payload with a wrong field, filler or check",
    "  digit), split (a line that is neither a payload nor a notice),",
    "  merged (more than one payload in a line), echoed (back to its",
    "  sender), duplicated, reordered, misattributed (a prefix that does not",
    "  name the sender), and at the end lost (never received whole, from",
    "  each receiver's own record).",
    "- Its own CPU time over the measured wall time is the generator CPU",
    "  share; the server's comes from /proc/PID/stat over the same interval.",
    "  Each delivery costs the generator about 20 ns of its own and 15–20",
    "  ns of kernel time to read, so one core takes about 25 M deliveries/s:",
    "  it measured `ncat --chat` at 21–26 M/s at 1000:100. A server that",
    "  comes close to that is marked †; chatlab, well below it, is not.",
    `- chatlab runs \`server.ts --room\` with ${flags}: its`,
    "  defaults suit a class, not 1000 clients on one address flooding.",
    "  Everything else is default, including the 256 KiB queue per client.",
    "- `bench/baseline_node.js` and `bench/baseline_python.py` are what the",
    "  lesson's next step looks like in each language, about 40 lines each,",
    "  same join protocol (name first, `*** Hello`). Node's keeps Nagle's",
    "  algorithm on (its default; turning it off made it slower here) and",
    "  queues without limit for a slow reader; Python's awaits `drain()`, so",
    "  a reader that stops holds up its senders.",
    "- `ncat --chat` relays raw chunks and prefixes `<userN> ` to each chunk,",
    "  not each line: lines get split, merged and left without a name. Its",
    "  deliveries count only lines that arrived whole.",
    "- A join barrier runs before any measurement: the first client says",
    "  `#SYNC` until everyone has heard it.",
    ...(results.scenarios.some((s) => s.wsClients)
      ? [
        "- WebSocket clients: the generator does the upgrade (`GET /ws`, the",
        "  page's own `Origin`, the accept key checked), sends masked frames",
        '  of one JSON object each (`{"type":"line","text":…,"seq":N}`,',
        "  numbered from 1 as chatlab's page does, so chatlab acknowledges",
        "  each), and checks each `say` event as the line `<from> text`: the",
        "  same faults counted the same way. Half the clients of a room speak",
        "  WebSocket, every other one, and so do half the senders. A",
        "  WebSocket sender keeps at most 100 lines unacknowledged, as the",
        "  page keeps its lines until acknowledged: Deno reads a WebSocket as",
        "  frames come, so the acknowledgement is a WebSocket sender's only",
        '  "the server took it" (a TCP sender has its socket\'s room to write).',
        `- \`bench/baseline_ws_node.js\` is npm's \`${WS_PACKAGE}\` broadcast`,
        "  server as its README shows it, in one room with",
        "  `baseline_node.js`'s TCP clients (about 80 lines): the same JSON",
        "  frames (a subset: acknowledgements, but no sessions or history),",
        "  each event serialized once for all receivers. `deno task bench` installs",
        "  `ws` into bench/build/ with npm when it is missing.",
      ]
      : []),
    ...(results.scenarios.some((s) => s.also?.includes("chatlab-db"))
      ? [
        "- chatlab --db: the same server with `--db FILE` (a fresh SQLite file",
        "  in bench/results/ for every repeat, deleted after it is weighed,",
        "  once the server was stopped with SIGTERM).",
      ]
      : []),
    results.quick
      ? "- This was a `--quick` run: tiny rooms, one repeat."
      : "- Reproduce: `deno task bench` (about 10 minutes); `deno task bench --quick` for a smoke run.",
  ].join("\n");
}

const GENERATOR_MARK = "†";

/** A cell: the median (and spread) of one field, flagged where it needs it. */
function cell(
  outcomes: LoadOutcome[] | undefined,
  pick: Pick,
  format: (v: number) => string,
  markGeneratorBound = false,
): string {
  if (outcomes === undefined) return "—";
  const spread = spreadOfField(outcomes, pick);
  const failed = outcomes.filter((o) => !o.ok).length;
  const suffix = failed > 0 ? ` (${failed}/${outcomes.length} failed)` : "";
  if (spread === null) return failed > 0 ? `failed${suffix}` : "n/a";
  const mark = markGeneratorBound && generatorBound(outcomes)
    ? GENERATOR_MARK
    : "";
  return `${formatSpread(spread, format)}${mark}${suffix}`;
}

/**
 * Whether the generator was saturated while the server was not: then the
 * server might have gone faster, and its figure is a lower bound.
 */
function generatorBound(outcomes: LoadOutcome[]): boolean {
  const median = (pick: Pick) => spreadOfField(outcomes, pick)?.median;
  // The kernel's loopback work (softirq) is the core's, not a process's:
  // a generator at 0.85 of a core can have that core fully busy.
  const generator = Math.max(
    median((r) => r.generatorCpuShare) ?? 0,
    median((r) => r.coreBusy?.[GENERATOR_CORE]) ?? 0,
  );
  const server = Math.max(
    median((r) => r.serverCpuShare) ?? 0,
    median((r) => r.coreBusy?.[SERVER_CORE]) ?? 0,
  );
  return generator >= GENERATOR_BOUND_SHARE && server < GENERATOR_BOUND_SHARE;
}

function formatSpread(spread: Spread, format: (v: number) => string): string {
  if (spread.count === 1 || spread.min === spread.max) {
    return format(spread.median);
  }
  return `${format(spread.median)} (${format(spread.min)}–${
    format(spread.max)
  })`;
}

function ratio(
  outcomes: Partial<Record<TargetName, LoadOutcome[]>>,
  pick: Pick,
  other: TargetName,
): string {
  const ours = spreadOfField(outcomes.chatlab, pick)?.median;
  const theirs = spreadOfField(outcomes[other], pick)?.median;
  if (!ours || !theirs) return "—";
  return `${(ours / theirs).toFixed(2)}×`;
}

function maxProblems(outcomes: LoadOutcome[] | undefined): number | null {
  const results = okResults(outcomes);
  if (results.length === 0) return null;
  return Math.max(
    ...results.map((r) =>
      r.lost + r.duplicated + r.reordered + r.corrupted + (r.split ?? 0) +
      (r.merged ?? 0) + r.echoed + r.misattributed
    ),
  );
}

function endings(outcomes: LoadOutcome[] | undefined): string {
  const counts = new Map<string, number>();
  for (const result of okResults(outcomes)) {
    const key = result.stopped ?? "?";
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return "—";
  return [...counts].map(([key, n]) => `${key} ×${n}`).join(", ");
}

function verdict<T>(
  value: T | undefined,
  met: (value: T) => boolean,
  shortBy: (value: T) => string,
): string {
  if (value === undefined) return "not measured";
  return met(value) ? "**yes**" : `no: ${shortBy(value)}`;
}

function table(headings: string[], rows: string[][]): string {
  // A "|" inside a cell (a regular expression's name, say) would end it.
  const line = (cells: string[]) =>
    `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    line(headings),
    `| ${headings.map((_, i) => i === 0 ? "---" : "---:").join(" | ")} |`,
    ...rows.map(line),
  ].join("\n");
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function rate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)} k`;
  return value.toFixed(0);
}

function signedMs(value: number): string {
  return `${value < 0 ? "−" : "+"}${ms(Math.abs(value))}`;
}

function ms(value: number): string {
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

function count(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function share(value: number): string {
  return value.toFixed(2);
}

function kib(bytes: number): string {
  if (Math.abs(bytes) >= 1024 * 1024) {
    return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  }
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
