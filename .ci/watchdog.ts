#!/usr/bin/env -S deno run --allow-run=setsid,kill
// Runs `deno test` (or any command) and fails fast, naming the test, when it hangs.
//
// Deno has no per-test timeout: an `await` that never resolves would hang CI
// until the job's own limit. This runs the command in a process group of its
// own, passes its output through, and remembers the test that started last
// (Deno prints `name ...` when a test starts and `ok` or `FAILED` when it
// ends). When nothing is printed for --idle seconds, or the whole run passes
// --limit seconds, it names that test, kills the group and exits 124. Deno's
// own "'NAME' has been running for over (1m0s)" notices (after 1, 2, 4, 8...
// minutes) do not count as output: they are what a hung test prints.
//
// Usage: watchdog.ts [--idle SECONDS] [--limit SECONDS] -- COMMAND ARGS...

import { parseArgs } from "node:util";

/** Exit code for a run stopped by the watchdog, as `timeout` uses. */
const TIMED_OUT = 124;

/** Options for {@linkcode watch}. */
export interface WatchOptions {
  /**
   * Seconds without any output before the run counts as hung.
   *
   * @default {300}
   */
  idleSeconds?: number;
  /**
   * Seconds the whole run may take.
   *
   * @default {2700}
   */
  limitSeconds?: number;
  /** Where the command's output goes. @default {Deno.stdout} */
  out?: WritableStream<Uint8Array>;
}

/** Follows Deno's test output: which file and test are running now. */
export class TestProgress {
  /** The test file whose tests run now, if known. */
  file = "";
  /** The test started last and not yet finished, if any. */
  running: string | null = null;
  #partial = "";

  /** Takes the next piece of output. */
  push(text: string): void {
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop()!;
    for (const line of lines) this.#line(stripColor(line), true);
    if (this.#partial !== "") this.#line(stripColor(this.#partial), false);
  }

  /** The running test as one line, e.g. `"name" in ./tests/x_test.ts`. */
  describe(): string {
    if (this.running === null) return "no test was running (between tests)";
    return `"${this.running}"${this.file ? ` in ${this.file}` : ""}`;
  }

  #line(line: string, complete: boolean): void {
    const file = line.match(/^running \d+ tests? from (\S+)/);
    if (file) {
      this.file = file[1];
      this.running = null;
      return;
    }
    // `name ... ok (5ms)` ends a test; `name ...` alone (the line is still
    // open) starts one. A step is indented; its parent keeps running.
    const test = line.match(/^(\s*)(.+?) \.\.\.(?: (.*))?$/);
    if (!test) return;
    const [, indent, name, result] = test;
    if (result === undefined || (!complete && result.trim() === "")) {
      if (indent === "") this.running = name;
    } else if (indent === "" && name === this.running) {
      this.running = null;
    }
  }
}

/** Runs `command args...`; resolves with its exit code, or 124 if it hung. */
export async function watch(
  command: string,
  args: string[],
  options: WatchOptions = {},
): Promise<number> {
  const idleMs = (options.idleSeconds ?? 300) * 1000;
  const limitMs = (options.limitSeconds ?? 2700) * 1000;
  // setsid: the command leads a process group of its own, so that killing
  // the group also ends `deno task`'s `deno test` and the servers it runs.
  const child = new Deno.Command("setsid", {
    args: ["--wait", command, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const progress = new TestProgress();
  const out = (options.out ?? Deno.stdout.writable).getWriter();
  let lastOutput = Date.now();
  const started = Date.now();

  const pass = async (stream: ReadableStream<Uint8Array>, track: boolean) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      if (!onlySlowTestNotices(text)) lastOutput = Date.now();
      if (track) progress.push(text);
      await out.write(chunk);
    }
  };
  const passing = Promise.all([
    pass(child.stdout, true),
    pass(child.stderr, false),
  ]);

  let verdict: string | null = null;
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - lastOutput > idleMs) {
      verdict = `no output for ${idleMs / 1000} s`;
    } else if (now - started > limitMs) {
      verdict = `the run took more than ${limitMs / 1000} s`;
    }
    if (verdict === null) return;
    clearInterval(timer);
    killGroup(child.pid);
  }, Math.min(1000, idleMs / 4));

  const status = await child.status;
  clearInterval(timer);
  await passing;
  if (verdict !== null) {
    await out.write(
      new TextEncoder().encode(
        `\nwatchdog: ${verdict}; hung test: ${progress.describe()}\n`,
      ),
    );
  }
  out.releaseLock();
  return verdict !== null ? TIMED_OUT : status.code;
}

/** Whether `text` holds nothing but Deno's notices that a test runs long. */
export function onlySlowTestNotices(text: string): boolean {
  return stripColor(text).split("\n").every((line) =>
    line.trim() === "" || SLOW_TEST_NOTICE.test(line)
  );
}

const SLOW_TEST_NOTICE = /^'.*' has been running for over \(.*\)\s*$/;

function killGroup(pid: number): void {
  // `kill -- -PID` signals every process of the group PID leads.
  new Deno.Command("kill", { args: ["-KILL", "--", `-${pid}`] }).outputSync();
}

function stripColor(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      idle: { type: "string", default: "300" },
      limit: { type: "string", default: "2700" },
    },
    allowPositionals: true,
  });
  const [command, ...args] = positionals;
  if (command === undefined) {
    console.error(
      "usage: watchdog.ts [--idle S] [--limit S] -- COMMAND ARGS...",
    );
    Deno.exit(2);
  }
  Deno.exit(
    await watch(command, args, {
      idleSeconds: Number(values.idle),
      limitSeconds: Number(values.limit),
    }),
  );
}

if (import.meta.main) main();
