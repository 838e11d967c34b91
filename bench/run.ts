#!/usr/bin/env -S deno run --allow-net=127.0.0.1 --allow-run --allow-read --allow-write=BENCHMARKS.md,bench/results
/**
 * `deno task bench`: runs the benchmark matrix against chatlab's room and
 * the peers (a Node baseline, a Python baseline, `ncat --chat`), each
 * started fresh for every repeat, and writes BENCHMARKS.md. The load
 * generator is `bench/load.c`, built here with gcc (bench/generator.ts).
 *
 * Every process is bounded: the generator stops itself after a time limit,
 * the runner kills anything that outlives its own limit, and all of it runs
 * on 127.0.0.1 only.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  firstLineOf,
  freePort,
  GENERATOR_CORE,
  ROOT,
  SERVER_CORE,
  Spawned,
  waitForListener,
} from "./processes.ts";
import { newestProfile, topFunctions } from "./profile.ts";
import { renderReport } from "./report.ts";
import type { BenchResults, LoadOutcome, LoadResult } from "./results.ts";
import { loadArgs, runsOn, type Scenario, scenarios } from "./scenarios.ts";
import {
  type Target,
  TARGET_NAMES,
  type TargetName,
  targets,
} from "./targets.ts";
import { buildGenerator } from "./generator.ts";

const HELP = `Usage: deno task bench [--quick] [options]

Runs the benchmark matrix and writes BENCHMARKS.md (a full run takes about
10 minutes; --quick takes well under one and writes nothing unless --out).

Options:
  --quick             tiny rooms, one repeat: shows the harness works
  --targets LIST      comma-separated, from ${
  TARGET_NAMES.join(",")
} (default: all; chatlab-db and node-ws run only where
                      a scenario asks for them)
  --scenarios LIST    only these scenario ids (flood-2:1, flood-100:10,
                      flood-1000:100, light, ws-200:20, ws-light, idle-1000,
                      idle-10000, stall-control, stall)
  --repeats N         repeats of each figure (default 3; 1 with --quick)
  --out FILE          write the report here (default BENCHMARKS.md; none with
                      --quick; - for stdout);
                      it must be a path the task may write
  --json              print the raw results as JSON on stdout
  --render FILE       measure nothing: write the report (--out) from the JSON
                      a run saved (bench/results/latest.json, written with
                      each BENCHMARKS.md)
  --no-profile        skip profiling chatlab's room under load (deno --cpu-prof),
                      which a full run does once per busy scenario
  -h, --help          show this help`;

/** A failed repeat is tried again this many more times (ncat sometimes dies joining). */
const RETRIES = 2;
/** How much longer than its own limit a generator may run before it is killed. */
const GENERATOR_GRACE_MS = 60_000;
/** The generator's own limit on a run, unless the scenario sets one. */
const RUN_LIMIT_MS = 120_000;
const RESULTS_DIR = "bench/results";
/** The report a full run writes, with the JSON it is made from. */
const REPORT = "BENCHMARKS.md";

interface RunContext {
  pinned: boolean;
  generator: { command: string; args: string[] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    allowNegative: true,
    options: {
      quick: { type: "boolean", default: false },
      targets: { type: "string" },
      scenarios: { type: "string" },
      repeats: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      profile: { type: "boolean" },
      render: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return console.log(HELP);
  if (values.render) {
    // Only the report changes: the figures stay those of one run.
    const results = JSON.parse(await Deno.readTextFile(values.render));
    const out = values.out ?? REPORT;
    await writeReport(out, renderReport(results));
    if (out !== "-") console.error(`Wrote ${out} from ${values.render}`);
    return;
  }
  const started = performance.now();
  const quick = values.quick;
  const out = values.out ?? (quick ? undefined : REPORT);
  // Fail now, not after ten minutes of measuring.
  if (
    out && out !== "-" &&
    (await Deno.permissions.query({ name: "write", path: out })).state !==
      "granted"
  ) {
    throw new Error(
      `No permission to write "${out}" (see --allow-write in deno.json's bench task)`,
    );
  }
  const repeats = wholeNumber("repeats", values.repeats ?? (quick ? "1" : "3"));
  const chosen = chooseTargets(values.targets);
  const wanted = values.scenarios?.split(",");
  const matrix = scenarios(quick).filter((s) =>
    !wanted || wanted.includes(s.id)
  );
  const context: RunContext = {
    pinned: navigator.hardwareConcurrency >= 2 &&
      await firstLineOf("taskset", ["--version"]) !== null,
    generator: { command: await buildGenerator(), args: [] },
  };
  // A target no chosen scenario runs is not prepared (nor listed).
  const available = await availableTargets(
    chosen.filter((name) => matrix.some((s) => runsOn(s, name))),
  );
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: await describeMachine(),
    quick,
    repeats,
    pinned: context.pinned,
    command: ["deno task bench", ...Deno.args].join(" "),
    targets: available,
    scenarios: matrix,
    load: {},
    profiles: [],
    durationSec: 0,
  };

  for (const scenario of matrix) {
    const byTarget: Partial<Record<TargetName, LoadOutcome[]>> = {};
    results.load[scenario.id] = byTarget;
    // Targets take turns within each repeat, so drift hits them alike.
    const times = Math.min(repeats, scenario.repeats ?? repeats);
    for (let repeat = 1; repeat <= times; repeat++) {
      for (const name of available) {
        if (!runsOn(scenario, name)) continue;
        const outcome = await runWithRetries(
          targets()[name],
          scenario,
          context,
        );
        (byTarget[name] ??= []).push(outcome);
        progress(scenario.id, name, repeat, outcome);
      }
    }
  }
  if ((values.profile ?? !quick) && available.includes("chatlab")) {
    await profileChatlab(results, matrix, context);
  }
  results.durationSec = (performance.now() - started) / 1000;

  const report = renderReport(results);
  if (out || !quick) await Deno.mkdir(RESULTS_DIR, { recursive: true });
  if (out) {
    await writeReport(out, report);
    console.error(`Wrote ${out}`);
  }
  // The JSON is what BENCHMARKS.md re-renders from: saved with it only, so
  // that a partial run (some scenarios, --out -) leaves the pair as it was.
  if (out === REPORT) {
    const file = `${RESULTS_DIR}/latest.json`;
    await Deno.writeTextFile(file, JSON.stringify(results, null, 2) + "\n");
    console.error(`Wrote ${file}`);
  }
  if (values.json) console.log(JSON.stringify(results));
  else if (!out) console.log(report);
}

/**
 * Writes the report (`-`: to stdout), formatted as `deno fmt --check` (in
 * CI) expects.
 */
async function writeReport(path: string, report: string): Promise<void> {
  const fmt = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", "--ext", "md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = fmt.stdin.getWriter();
  await writer.write(new TextEncoder().encode(report));
  await writer.close();
  const output = await fmt.output();
  if (!output.success) {
    throw new Error(
      `deno fmt could not format the report: ${
        new TextDecoder().decode(output.stderr).trim()
      }`,
    );
  }
  if (path === "-") await Deno.stdout.write(output.stdout);
  else await Deno.writeFile(path, output.stdout);
}

/** Runs one repeat, trying again when the server or the generator failed. */
async function runWithRetries(
  target: Target,
  scenario: Scenario,
  context: RunContext,
): Promise<LoadOutcome> {
  const notes: string[] = [];
  for (let attempt = 1; attempt <= 1 + RETRIES; attempt++) {
    try {
      const result = await runOnce(target, scenario, context, notes);
      return { ok: true, result, attempts: attempt, notes };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt > RETRIES) {
        return { ok: false, error: message, attempts: attempt, notes };
      }
      notes.push(`attempt ${attempt} failed, tried again: ${message}`);
    }
  }
  throw new Error("unreachable");
}

/** A fresh server, one generator run against it, and the server killed. */
async function runOnce(
  target: Target,
  scenario: Scenario,
  context: RunContext,
  notes: string[],
  denoFlags: string[] = [],
): Promise<LoadResult> {
  const port = freePort();
  let wsPort: number | undefined;
  while (scenario.wsClients && (wsPort === undefined || wsPort === port)) {
    wsPort = freePort();
  }
  const dbFile = target.keepsFile
    ? `${RESULTS_DIR}/${target.name}-${Deno.pid}.sqlite`
    : undefined;
  if (dbFile) await removeDb(dbFile);
  // Disposed last, after the server: the file goes once nothing uses it.
  await using _cleanup = {
    [Symbol.asyncDispose]: () => dbFile ? removeDb(dbFile) : Promise.resolve(),
  };
  const server = denoFlags.length > 0 ? targets({ denoFlags }).chatlab : target;
  await using running = new Spawned(
    server.command,
    server.args(port, { wsPort, dbFile }),
    { core: context.pinned ? SERVER_CORE : null, stdout: false },
  );
  let serverExited = false;
  running.child.status.then(() => serverExited = true);
  await waitForListener(port, running, 15_000);
  if (wsPort !== undefined) await waitForListener(wsPort, running, 15_000);
  // Let the server finish starting up before its memory is read.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await using generator = new Spawned(context.generator.command, [
    ...context.generator.args,
    ...loadArgs(scenario, target.name, port, running.pid, wsPort),
    "--time-limit-ms",
    String(scenario.timeLimitMs ?? RUN_LIMIT_MS),
  ], { core: context.pinned ? GENERATOR_CORE : null });
  const status = await generator.finish(
    (scenario.timeLimitMs ?? RUN_LIMIT_MS) + GENERATOR_GRACE_MS,
  );
  const json = generator.stdout.lines.findLast((line) => line.startsWith("{"));
  if (!status.success || json === undefined) {
    throw new Error(
      `the load generator failed (exit ${status.code}): ${
        lastLines(generator.stderr.text)
      }`,
    );
  }
  const result: LoadResult = JSON.parse(json);
  if (serverExited) {
    throw new Error(`the server exited: ${lastLines(running.stderr.text)}`);
  }
  if (result.joinFailed > 0) {
    throw new Error(
      `${result.joinFailed} clients could not join: ${
        result.errors.join("; ")
      }`,
    );
  }
  if (result.errors.length > 0) {
    notes.push(`the generator noticed: ${result.errors.join("; ")}`);
  }
  if (denoFlags.length > 0) await running.stop();
  if (dbFile) {
    // Stopped (SIGTERM) first: the room closes its file, as a teacher's would.
    await running.stop();
    result.dbFileBytes = await sizeOfDb(dbFile);
  }
  return result;
}

/** The SQLite file's size with its write-ahead log, bytes. */
async function sizeOfDb(file: string): Promise<number> {
  let bytes = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      bytes += (await Deno.stat(file + suffix)).size;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return bytes;
}

async function removeDb(file: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    await Deno.remove(file + suffix).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/** Runs chatlab under `--cpu-prof` in the busiest scenarios, once each. */
async function profileChatlab(
  results: BenchResults,
  matrix: Scenario[],
  context: RunContext,
): Promise<void> {
  const dir = `${RESULTS_DIR}/profiles`;
  await Deno.mkdir(dir, { recursive: true });
  const busy = matrix.filter((s) => s.kind === "flood");
  for (const scenario of busy) {
    const profileDir = `${dir}/${scenario.id.replace(":", "-")}`;
    await Deno.remove(profileDir, { recursive: true }).catch(() => {});
    await Deno.mkdir(profileDir, { recursive: true });
    try {
      await runOnce(targets().chatlab, scenario, context, [], [
        "--cpu-prof",
        `--cpu-prof-dir=${profileDir}`,
      ]);
      const found = await newestProfile(profileDir);
      if (found === null) throw new Error("no .cpuprofile was written");
      results.profiles.push({
        scenario: scenario.title,
        file: found.file,
        top: topFunctions(found.profile, 15),
      });
      console.error(`profiled ${scenario.id}: ${found.file}`);
    } catch (error) {
      console.error(`profiling ${scenario.id} failed: ${error}`);
    }
  }
}

function chooseTargets(list: string | undefined): TargetName[] {
  if (list === undefined) return [...TARGET_NAMES];
  const names = list.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) {
      throw new Error(
        `Unknown target "${name}": use ${TARGET_NAMES.join(", ")}`,
      );
    }
  }
  return TARGET_NAMES.filter((name) => names.includes(name));
}

/** The chosen targets whose programs are installed; says which are not. */
async function availableTargets(chosen: TargetName[]): Promise<TargetName[]> {
  const found: TargetName[] = [];
  for (const name of chosen) {
    const target = targets()[name];
    const [command, ...args] = target.version;
    if (await firstLineOf(command, args) === null) {
      console.error(`Skipping ${name}: ${command} is not installed`);
      continue;
    }
    try {
      await target.prepare?.();
      found.push(name);
    } catch (error) {
      console.error(
        `Skipping ${name}: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  return found;
}

async function describeMachine(): Promise<Record<string, string>> {
  // /proc/cpuinfo is read by grep: Deno wants --allow-all for /proc files.
  const cpu = await firstLineOf("grep", ["-m1", "model name", "/proc/cpuinfo"]);
  const version = async (command: string, ...args: string[]) =>
    await firstLineOf(command, args) ?? "not installed";
  return {
    cores: String(navigator.hardwareConcurrency),
    CPU: cpu?.replace(/^model name\s*:\s*/, "") ?? "?",
    kernel: `Linux ${await version("uname", "-r")}`,
    Deno: Deno.version.deno,
    Node: await version("node", "--version"),
    Python: (await version("python3", "--version")).replace("Python ", ""),
    ncat: (await version("ncat", "--version")).replace(
      /^Ncat: Version (\S+).*$/,
      "$1",
    ),
  };
}

function progress(
  id: string,
  name: string,
  repeat: number,
  outcome: LoadOutcome,
): void {
  if (!outcome.ok) {
    console.error(`${id} ${name} #${repeat}: failed: ${outcome.error}`);
    return;
  }
  const r = outcome.result;
  const figures = r.deliveriesPerSec !== undefined
    ? `${Math.round(r.deliveriesPerSec)} deliveries/s, p99 ${
      r.latencyMs.p99?.toFixed(2)
    } ms, lost ${r.lost}, gen CPU ${r.generatorCpuShare?.toFixed(2)}`
    : `join ${r.joinMs.toFixed(0)} ms, ${
      r.rssPerClientBytes?.toFixed(0)
    } B/client`;
  console.error(`${id} ${name} #${repeat}: ${figures}`);
}

function wholeNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `Invalid --${name} "${text}": use a whole number, 1 or more`,
    );
  }
  return value;
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-12).join(" / ") || "(no output)";
}

if (import.meta.main) {
  Deno.chdir(ROOT);
  try {
    await main();
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
