/**
 * The room servers the benchmark compares, and how each is started.
 *
 * @module
 */

import { LOOPBACK, ROOT } from "./processes.ts";

/** The servers, by name. */
export type TargetName =
  | "chatlab"
  | "node"
  | "python"
  | "ncat"
  | "chatlab-db"
  | "node-ws"
  | "deno-floor"
  | "node-floor";

/** Every target, in the order the report shows them. */
export const TARGET_NAMES: readonly TargetName[] = [
  "chatlab",
  "node",
  "python",
  "ncat",
  "chatlab-db",
  "node-ws",
  "deno-floor",
  "node-floor",
];

/**
 * The targets every scenario runs unless it names its own; the others run
 * only in the scenarios that ask for them (`Scenario.also`, `targets`).
 */
export const STANDARD_TARGETS: readonly TargetName[] = [
  "chatlab",
  "node",
  "python",
  "ncat",
];

/** The npm package the WebSocket baseline uses, pinned. */
export const WS_PACKAGE = "ws@8.18.3";

/** Where `npm install --prefix` puts it (gitignored). */
export const WS_PREFIX = "bench/build";

/** Where a run's own ports and files are, for {@linkcode Target.args}. */
export interface TargetPlace {
  /** The WebSocket port, when the scenario has WebSocket clients. */
  wsPort?: number;
  /** The SQLite file, for a target that keeps history. */
  dbFile?: string;
}

/** How to start one target. */
export interface Target {
  /** Its name in the report's data. */
  name: TargetName;
  /** Which server the generator's `--target` takes it for (its greeting and prefixes). */
  generatorTarget: "chatlab" | "node" | "python" | "ncat";
  /** What the report calls it. */
  label: string;
  /** The program to run. */
  command: string;
  /** Its arguments, to listen on 127.0.0.1:`port` (and `place.wsPort`). */
  args(port: number, place?: TargetPlace): string[];
  /** A command whose first line of output names the version. */
  version: [string, ...string[]];
  /** Whether it keeps a SQLite file (the runner gives it one, and weighs it after). */
  keepsFile?: boolean;
  /** Gets it ready (installs what it needs); throws if it cannot. */
  prepare?: () => Promise<void>;
}

/**
 * The limits chatlab's room needs lifted for a benchmark: its defaults are
 * right for a class (100 people, 10 per address, 5 lines/s each), but the
 * generator is up to 10,000 clients on one address, flooding.
 */
export const CHATLAB_BENCH_FLAGS: readonly string[] = [
  "--max-clients",
  "20000",
  "--max-per-address",
  "20000",
  "--rate-limit",
  "off",
  "--idle-timeout",
  "0",
];

/**
 * The V8 flags `deno task server` runs chatlab with (deno.json; README,
 * "Memory per person"): the benchmark measures the server as it is run.
 */
export const CHATLAB_V8_FLAGS = "--v8-flags=--single-threaded-gc,--expose-gc";

/** Options for {@linkcode targets}. */
export interface TargetOptions {
  /**
   * Extra `deno run` flags for chatlab (such as `--cpu-prof`).
   *
   * @default {[]}
   */
  denoFlags?: string[];
}

/** The targets, by name. */
export function targets(
  options: TargetOptions = {},
): Record<TargetName, Target> {
  const chatlab = (port: number, place: TargetPlace = {}, db?: string) => [
    "run",
    "--allow-net",
    "--allow-env=CHATLAB_PASSWORD",
    CHATLAB_V8_FLAGS,
    ...(db === undefined ? [] : [
      `--allow-read=${dirOf(db)}`,
      `--allow-write=${dirOf(db)}`,
    ]),
    ...(options.denoFlags ?? []),
    "server.ts",
    "--room",
    "--host",
    LOOPBACK,
    "--port",
    String(port),
    ...(place.wsPort === undefined ? [] : ["--web", String(place.wsPort)]),
    ...(db === undefined ? [] : ["--db", db]),
    ...CHATLAB_BENCH_FLAGS,
  ];
  return {
    chatlab: {
      name: "chatlab",
      generatorTarget: "chatlab",
      label: "chatlab",
      command: Deno.execPath(),
      args: (port, place) => chatlab(port, place),
      version: [Deno.execPath(), "--version"],
    },
    "chatlab-db": {
      name: "chatlab-db",
      generatorTarget: "chatlab",
      label: "chatlab --db",
      command: Deno.execPath(),
      args: (port, place = {}) => {
        if (place.dbFile === undefined) {
          throw new Error("chatlab-db needs a file (TargetPlace.dbFile)");
        }
        return chatlab(port, place, place.dbFile);
      },
      version: [Deno.execPath(), "--version"],
      keepsFile: true,
    },
    "node-ws": {
      name: "node-ws",
      generatorTarget: "node",
      label: "Node ws baseline",
      command: "node",
      args: (port, place = {}) => [
        "bench/baseline_ws_node.js",
        String(port),
        String(place.wsPort ?? 0),
      ],
      version: ["node", "--version"],
      prepare: installWs,
    },
    node: {
      name: "node",
      generatorTarget: "node",
      label: "Node baseline",
      command: "node",
      args: (port) => ["bench/baseline_node.js", String(port)],
      version: ["node", "--version"],
    },
    python: {
      name: "python",
      generatorTarget: "python",
      label: "Python baseline",
      command: "python3",
      args: (port) => ["bench/baseline_python.py", String(port)],
      version: ["python3", "--version"],
    },
    "deno-floor": {
      name: "deno-floor",
      generatorTarget: "node",
      label: "bare Deno.Conn",
      command: Deno.execPath(),
      args: (port) => [
        "run",
        "--allow-net",
        CHATLAB_V8_FLAGS,
        "bench/floor_deno.ts",
        String(port),
      ],
      version: [Deno.execPath(), "--version"],
    },
    "node-floor": {
      name: "node-floor",
      generatorTarget: "node",
      label: "bare node:net",
      command: "node",
      args: (port) => ["bench/floor_node.js", String(port)],
      version: ["node", "--version"],
    },
    ncat: {
      name: "ncat",
      generatorTarget: "ncat",
      label: "ncat --chat",
      command: "ncat",
      // --max-conns: ncat's own default (100) would turn most of the room away.
      args: (port) => [
        "--chat",
        "--max-conns",
        "20000",
        "--listen",
        LOOPBACK,
        String(port),
      ],
      version: ["ncat", "--version"],
    },
  };
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : path.slice(0, slash);
}

/**
 * Installs npm `ws` into bench/build/ (gitignored) unless it is there:
 * the WebSocket baseline's only dependency, pinned.
 */
async function installWs(): Promise<void> {
  const installed = `${ROOT}${WS_PREFIX}/node_modules/ws/package.json`;
  const version = WS_PACKAGE.split("@")[1];
  try {
    const found = JSON.parse(await Deno.readTextFile(installed)).version;
    if (found === version) return;
  } catch {
    // Not installed yet.
  }
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("npm", {
      args: [
        "install",
        "--prefix",
        `${ROOT}${WS_PREFIX}`,
        "--no-save",
        "--no-audit",
        "--no-fund",
        WS_PACKAGE,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(`npm is not installed (needed for ${WS_PACKAGE})`, {
      cause: error,
    });
  }
  if (!output.success) {
    throw new Error(
      `npm install ${WS_PACKAGE} failed: ${
        new TextDecoder().decode(output.stderr).trim().split("\n").at(-1)
      }`,
    );
  }
}
