/**
 * The room servers the benchmark compares, and how each is started.
 *
 * @module
 */

import { LOOPBACK } from "./processes.ts";

/** The servers, by the name the load generator knows them by. */
export type TargetName = "chatlab" | "node" | "python" | "ncat";

/** Every target, in the order the report shows them. */
export const TARGET_NAMES: readonly TargetName[] = [
  "chatlab",
  "node",
  "python",
  "ncat",
];

/** How to start one target. */
export interface Target {
  /** Its name, as the generator's `--target` knows it. */
  name: TargetName;
  /** What the report calls it. */
  label: string;
  /** The program to run. */
  command: string;
  /** Its arguments, to listen on 127.0.0.1:`port`. */
  args(port: number): string[];
  /** A command whose first line of output names the version. */
  version: [string, ...string[]];
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
  return {
    chatlab: {
      name: "chatlab",
      label: "chatlab",
      command: Deno.execPath(),
      args: (port) => [
        "run",
        "--allow-net",
        "--allow-env=CHATLAB_PASSWORD",
        ...(options.denoFlags ?? []),
        "server.ts",
        "--room",
        "--host",
        LOOPBACK,
        "--port",
        String(port),
        ...CHATLAB_BENCH_FLAGS,
      ],
      version: [Deno.execPath(), "--version"],
    },
    node: {
      name: "node",
      label: "Node baseline",
      command: "node",
      args: (port) => ["bench/baseline_node.js", String(port)],
      version: ["node", "--version"],
    },
    python: {
      name: "python",
      label: "Python baseline",
      command: "python3",
      args: (port) => ["bench/baseline_python.py", String(port)],
      version: ["python3", "--version"],
    },
    ncat: {
      name: "ncat",
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
