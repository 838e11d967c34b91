/**
 * Starting the benchmark's processes: pinned to a core, with a raised limit
 * on open files, their output collected line by line, and always killed.
 *
 * @module
 */

import { OutputLines } from "../tests/support/process.ts";

/** The repository root: every command runs from there. */
export const ROOT: string = new URL("../", import.meta.url).pathname;

/** The only address anything in the benchmark uses. */
export const LOOPBACK = "127.0.0.1";

/** The core the server under test is pinned to. */
export const SERVER_CORE = 0;

/** The core the load generator is pinned to. */
export const GENERATOR_CORE = 1;

/** The open-file limit asked for: a room of 1000 needs more than 1024. */
export const OPEN_FILES = 65536;

/** Options for {@linkcode Spawned}. */
export interface SpawnOptions {
  /**
   * Run on this CPU core only (`taskset -c`); `null` runs anywhere.
   *
   * @default {null}
   */
  core?: number | null;
  /**
   * What stdin is: `"null"` (at its end at once) or `"piped"` (open until
   * {@linkcode Spawned.closeStdin}).
   *
   * @default {"null"}
   */
  stdin?: "null" | "piped";
  /**
   * Collect stdout; when false it goes nowhere (a room server prints the
   * whole room's traffic, which nobody needs here).
   *
   * @default {true}
   */
  stdout?: boolean;
}

/**
 * A process started through `bash`, so that the open-file limit can be
 * raised first; `exec` then replaces bash, so {@linkcode Spawned.pid} is the
 * program's own pid (its /proc entry holds its CPU time and memory).
 */
export class Spawned implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: OutputLines;
  readonly stderr: OutputLines;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | null;

  /** Starts `command` with `args`. */
  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    const pin = options.core === null || options.core === undefined
      ? []
      : ["taskset", "-c", String(options.core)];
    const script =
      `ulimit -Sn ${OPEN_FILES} 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"; exec "$@"`;
    this.child = new Deno.Command("bash", {
      args: ["-c", script, "bash", ...pin, command, ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: options.stdin ?? "null",
      stdout: options.stdout === false ? "null" : "piped",
      stderr: "piped",
    }).spawn();
    this.stdout = new OutputLines(
      options.stdout === false ? null : this.child.stdout,
    );
    this.stderr = new OutputLines(this.child.stderr);
    this.#stdin = options.stdin === "piped"
      ? this.child.stdin.getWriter()
      : null;
  }

  /** The program's pid. */
  get pid(): number {
    return this.child.pid;
  }

  /** Writes `text` to stdin (started with `stdin: "piped"`). */
  async write(text: string): Promise<void> {
    await this.#stdin?.write(new TextEncoder().encode(text));
  }

  /** Closes stdin, if it is a pipe. */
  async closeStdin(): Promise<void> {
    await this.#stdin?.close().catch(() => {});
  }

  /** Waits for the exit, killing the process after `timeoutMs`. */
  async finish(timeoutMs: number): Promise<Deno.CommandStatus> {
    const timer = setTimeout(() => this.#kill("SIGKILL"), timeoutMs);
    try {
      const status = await this.child.status;
      await Promise.all([this.stdout.done, this.stderr.done]);
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks the process to stop (SIGTERM), and kills it if it has not within a second. */
  async stop(): Promise<void> {
    this.#kill("SIGTERM");
    const timer = setTimeout(() => this.#kill("SIGKILL"), 1000);
    try {
      await this.child.status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process if it still runs, and releases everything. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    this.#kill("SIGKILL");
    await this.child.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch {
      // It has exited already.
    }
  }
}

/** Where {@linkcode freePort} looks: below Linux's ephemeral ports (32768 and up). */
const PORT_RANGE = { lowest: 20_000, highest: 32_000 } as const;

/**
 * A port on 127.0.0.1 that was free a moment ago. It is chosen below the
 * ephemeral range on purpose: a run of 1000 clients leaves thousands of
 * ephemeral ports in use or closing, and a server given one of those (as
 * port 0 can) fails to listen or, worse, a test connection to it connects
 * to itself.
 */
export function freePort(): number {
  const span = PORT_RANGE.highest - PORT_RANGE.lowest;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = PORT_RANGE.lowest + Math.floor(Math.random() * span);
    try {
      Deno.listen({ hostname: LOOPBACK, port }).close();
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error(
    `No free port between ${PORT_RANGE.lowest} and ${PORT_RANGE.highest}`,
  );
}

/**
 * Waits until something listens on 127.0.0.1:`port`, by connecting and at
 * once closing (every target ignores a client that leaves before its name).
 */
export async function waitForListener(
  port: number,
  process: Spawned,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  process.child.status.then(() => exited = true);
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: LOOPBACK, port });
      conn.close();
      return;
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
    }
    if (exited) {
      throw new Error(
        `The server exited before listening: ${process.stderr.text}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Nothing listened on port ${port} within ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The first line a command prints (stdout or stderr), or `null` if it cannot run. */
export async function firstLineOf(
  command: string,
  args: string[],
): Promise<string | null> {
  try {
    const output = await new Deno.Command(command, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout).trim() ||
      new TextDecoder().decode(output.stderr).trim();
    return text.split("\n")[0] ?? null;
  } catch {
    return null;
  }
}
