/**
 * Runs real processes for tests and the benchmark: chatlab's scripts, the
 * lesson's Python programs, `nc`, the load generator. Output is collected
 * line by line (see {@linkcode OutputLines}) so a test can wait for a line
 * instead of sleeping; every wait is bounded.
 *
 * @module
 */

import { OutputLines } from "./output_lines.ts";
import { ROOT } from "./paths.ts";
import { WAIT_MS, withTimeout } from "./wait.ts";

const encoder = new TextEncoder();

/** Options for {@linkcode RunningProcess}. */
export interface SpawnOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * Set `NO_COLOR=1`, so output is plain text. Leave it out where colours are
   * what is tested (a terminal's) or the environment must be the user's.
   *
   * @default {true}
   */
  noColor?: boolean;
  /**
   * Start from an empty environment: only `env` (and `NO_COLOR`, unless
   * `noColor` is false).
   *
   * @default {false}
   */
  clearEnv?: boolean;
  /**
   * Working directory.
   *
   * @default {the repository root}
   */
  cwd?: string;
  /**
   * What stdin is: `"piped"` (open until {@linkcode RunningProcess.closeStdin})
   * or `"null"` (at its end at once).
   *
   * @default {"piped"}
   */
  stdin?: "piped" | "null";
  /**
   * Collect stdout; when false it goes nowhere (a room server under load
   * prints the whole room's traffic, which nobody needs).
   *
   * @default {true}
   */
  stdout?: boolean;
  /**
   * Keep stdout byte for byte as well ({@linkcode RunningProcess.stdoutBytes}),
   * to check exactly what would reach a terminal: decoding to lines turns
   * invalid UTF-8 into U+FFFD, which would hide a raw byte.
   *
   * @default {false}
   */
  stdoutBytes?: boolean;
  /**
   * Run on this CPU core only (`taskset -c`); `null` runs anywhere.
   *
   * @default {null}
   */
  core?: number | null;
  /**
   * Raise the soft limit on open files to this (or to the hard limit, if
   * lower) first: the process is started by `bash`, which runs `ulimit -Sn`
   * and then `exec`s it, so {@linkcode RunningProcess.pid} is still the
   * program's own. `null` leaves the limit alone.
   *
   * @default {null}
   */
  openFiles?: number | null;
}

/** A running process, its output collected, always killed when disposed. */
export class RunningProcess implements AsyncDisposable {
  /** The process (`bash` only until it `exec`s, with `openFiles`). */
  readonly child: Deno.ChildProcess;
  /** Its stdout, line by line (nothing with `stdout: false`). */
  readonly stdout: OutputLines;
  /** Its stderr, line by line. */
  readonly stderr: OutputLines;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | null;
  readonly #chunks: Uint8Array[] | null;
  readonly #bytesDone: Promise<void>;
  #stdinClosed = false;

  /** Starts `command args...` (by default in the repository root). */
  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    const launch = launcher(command, args, options);
    const collect = options.stdout !== false;
    this.child = new Deno.Command(launch.command, {
      args: launch.args,
      cwd: options.cwd ?? ROOT,
      clearEnv: options.clearEnv,
      env: options.noColor === false
        ? options.env
        : { NO_COLOR: "1", ...options.env },
      stdin: options.stdin ?? "piped",
      stdout: collect ? "piped" : "null",
      stderr: "piped",
    }).spawn();
    let stdout: ReadableStream<Uint8Array> | null = collect
      ? this.child.stdout
      : null;
    this.#chunks = collect && options.stdoutBytes ? [] : null;
    this.#bytesDone = Promise.resolve();
    if (stdout !== null && this.#chunks !== null) {
      const [forLines, forBytes] = stdout.tee();
      stdout = forLines;
      this.#bytesDone = this.#keepBytes(forBytes, this.#chunks);
    }
    this.stdout = new OutputLines(stdout);
    this.stderr = new OutputLines(this.child.stderr);
    this.#stdin = options.stdin === "null"
      ? null
      : this.child.stdin.getWriter();
  }

  /** The program's process id. */
  get pid(): number {
    return this.child.pid;
  }

  /** Everything written to stdout so far, as bytes (needs `stdoutBytes: true`). */
  get stdoutBytes(): Uint8Array {
    if (this.#chunks === null) {
      throw new Error("stdout bytes are kept only with stdoutBytes: true");
    }
    const bytes = new Uint8Array(
      this.#chunks.reduce((sum, chunk) => sum + chunk.length, 0),
    );
    let offset = 0;
    for (const chunk of this.#chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  }

  /** Writes text to the process's stdin (started with `stdin: "piped"`). */
  async write(text: string): Promise<void> {
    if (this.#stdin === null) throw new Error("stdin is not a pipe");
    // A process that stops reading fills the pipe: fail, never hang.
    await withTimeout(this.#stdin.write(encoder.encode(text)), "stdin write");
  }

  /** Writes each line followed by `\n`, in one write. */
  async writeLines(...lines: string[]): Promise<void> {
    await this.write(lines.map((line) => line + "\n").join(""));
  }

  /** Closes stdin (end of input), if it is a pipe. */
  async closeStdin(): Promise<void> {
    if (this.#stdin === null || this.#stdinClosed) return;
    this.#stdinClosed = true;
    try {
      await withTimeout(this.#stdin.close(), "stdin close");
    } catch (error) {
      // The process has exited and its end of the pipe is gone: nothing to close.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  }

  /**
   * Waits for the process to exit by itself, its stdin left as it is
   * (closing it would be an end of input, which a chat client acts on), and
   * for all its output. After `timeoutMs` it is killed and this throws.
   */
  async exited(timeoutMs: number = WAIT_MS): Promise<Deno.CommandStatus> {
    let status: Deno.CommandStatus;
    try {
      status = await withTimeout(this.child.status, "process exit", timeoutMs);
    } catch (error) {
      this.#kill("SIGKILL");
      throw new Error(
        `The process did not exit within ${timeoutMs} ms and was killed; its stderr:\n${
          this.stderr.lines.slice(-12).join("\n")
        }`,
        { cause: error },
      );
    }
    await this.#outputDone();
    return status;
  }

  /** Closes stdin and waits for the exit status and all output (see {@linkcode RunningProcess.exited}). */
  async finish(timeoutMs: number = WAIT_MS): Promise<Deno.CommandStatus> {
    await this.closeStdin();
    return await this.exited(timeoutMs);
  }

  /** Asks the process to stop (SIGTERM), and kills it if it has not within `graceMs`. */
  async stop(graceMs = 1000): Promise<Deno.CommandStatus> {
    this.#kill("SIGTERM");
    const timer = setTimeout(() => this.#kill("SIGKILL"), graceMs);
    try {
      return await this.child.status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process if it still runs, and releases everything. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    this.#kill("SIGKILL");
    await withTimeout(this.child.status, "killed process exit");
    await this.#outputDone();
  }

  /** Waits for the end of stdout and stderr (a child of the process may hold them). */
  async #outputDone(): Promise<void> {
    await withTimeout(
      Promise.all([this.stdout.done, this.stderr.done, this.#bytesDone]),
      "the end of the process's output",
    );
  }

  async #keepBytes(
    stream: ReadableStream<Uint8Array>,
    chunks: Uint8Array[],
  ): Promise<void> {
    for await (const chunk of stream) chunks.push(chunk);
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch {
      // It has exited already.
    }
  }
}

/** The command line that starts `command args...` pinned and with the open-file limit raised, as asked. */
function launcher(
  command: string,
  args: string[],
  options: SpawnOptions,
): { command: string; args: string[] } {
  const pinned = options.core === null || options.core === undefined
    ? [command, ...args]
    : ["taskset", "-c", String(options.core), command, ...args];
  if (options.openFiles === null || options.openFiles === undefined) {
    return { command: pinned[0], args: pinned.slice(1) };
  }
  const script =
    `ulimit -Sn ${options.openFiles} 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"; exec "$@"`;
  return { command: "bash", args: ["-c", script, "bash", ...pinned] };
}

/** How a process ended, with everything it printed. */
export interface Outcome {
  /** The exit status. */
  status: Deno.CommandStatus;
  /** Lines printed on stdout. */
  stdout: string[];
  /** Lines printed on stderr. */
  stderr: string[];
  /** Stdout exactly as printed (decoded), final newline and all. */
  stdoutText: string;
  /** Stderr exactly as printed (decoded). */
  stderrText: string;
}

/** Options for {@linkcode runToExit}. */
export interface RunOptions extends SpawnOptions {
  /**
   * Text written to stdin before it is closed (stdin is never a terminal).
   *
   * @default {""}
   */
  input?: string;
  /**
   * How long it may run: then it is killed and `runToExit` throws.
   *
   * @default {WAIT_MS}
   */
  timeoutMs?: number;
}

/**
 * Runs a command to its end and collects what it printed: the one way tests
 * and the benchmark run a command for its output. Throws if it cannot be
 * started (`Deno.errors.NotFound`) or runs longer than `timeoutMs`.
 */
export async function runToExit(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<Outcome> {
  await using process = new RunningProcess(command, args, {
    ...options,
    stdin: "piped",
  });
  if (options.input) await process.write(options.input);
  const status = await process.finish(options.timeoutMs);
  return {
    status,
    stdout: process.stdout.lines,
    stderr: process.stderr.lines,
    stdoutText: process.stdout.raw,
    stderrText: process.stderr.raw,
  };
}

/**
 * What a command prints on stdout, trimmed; `null` if it fails or cannot
 * run. Deno wants --allow-all to read /proc, so tests ask small programs.
 */
export async function commandOutput(
  command: string,
  args: string[],
): Promise<string | null> {
  try {
    const { status, stdoutText } = await runToExit(command, args);
    return status.success ? stdoutText.trim() : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * The permissions `deno task client` grants (the server task adds
 * `--allow-sys=networkInterfaces` only to list this computer's addresses,
 * which tests leave out). A room server needs `--allow-env=CHATLAB_PASSWORD`:
 * without it, it refuses to start rather than ignore a passphrase.
 */
export const USER_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-env=CHATLAB_PASSWORD",
];

/** One of chatlab's scripts. */
export type Script = "server.ts" | "client.ts";

/** Options for {@linkcode runScript}: a process's, and more permissions. */
export interface ScriptOptions extends SpawnOptions {
  /**
   * Deno permission flags beyond {@linkcode USER_PERMISSIONS}, such as
   * `--allow-read=DIR`.
   *
   * @default {[]}
   */
  permissions?: string[];
}

/** `deno run` with the permissions users get (and `permissions`), on `script`. */
function denoRun(script: Script, args: string[], options: ScriptOptions) {
  return [
    "run",
    ...USER_PERMISSIONS,
    ...(options.permissions ?? []),
    script,
    ...args,
  ];
}

/** Starts `deno run` on one of chatlab's scripts with the permissions users get. */
export function runScript(
  script: Script,
  args: string[],
  options: ScriptOptions = {},
): RunningProcess {
  return new RunningProcess(
    Deno.execPath(),
    denoRun(script, args, options),
    options,
  );
}

/** Runs one of chatlab's scripts, as {@linkcode runScript} starts it, to its end (stdin empty). */
export async function runScriptToExit(
  script: Script,
  args: string[],
  options: ScriptOptions & RunOptions = {},
): Promise<Outcome> {
  return await runToExit(
    Deno.execPath(),
    denoRun(script, args, options),
    options,
  );
}

/** Starts `server.ts` on port 0 and returns it with the port it printed. */
export async function startServer(
  args: string[] = [],
  options: ScriptOptions = {},
): Promise<{ server: RunningProcess; port: number }> {
  const server = runScript("server.ts", ["--port", "0", ...args], options);
  const match = await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/);
  return { server, port: Number(match[1]) };
}
