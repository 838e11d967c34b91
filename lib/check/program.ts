/**
 * The student's program, started by the checker: its own process group (so
 * everything it starts can be ended at once), stdin to type into, stdout and
 * stderr collected line by line, and its CPU time from `/proc`.
 *
 * @module
 */

import { LineLog } from "./line_log.ts";

/** How a started program ended. */
export interface ProgramExit {
  /** The exit code (128 + signal number when killed). */
  code: number;
  /** The signal that ended it, if any. */
  signal: Deno.Signal | null;
}

/** Options for {@linkcode StartedProgram}. */
export interface StartOptions {
  /**
   * The directory the command runs in.
   *
   * @default {the checker's own working directory}
   */
  cwd?: string;
  /**
   * Extra environment variables. `PYTHONUNBUFFERED=1` is always set, so a
   * Python program's `print()` reaches the checker at once, as it would
   * reach a terminal.
   *
   * @default {{}}
   */
  env?: Record<string, string>;
}

const encoder = new TextEncoder();

/** How long to wait for the last output of a killed program. */
const OUTPUT_GRACE_MS = 1000;

/** Every program started and not yet disposed of, for {@linkcode endAllPrograms}. */
const running = new Set<StartedProgram>();

/**
 * Kills every program still running. A check that ran out of time may still
 * be starting one as the run ends; this is the last word on all of them.
 */
export function endAllPrograms(): void {
  for (const program of running) program.kill();
}

/**
 * Starts `command` as a {@linkcode StartedProgram} owned by `stack`, unless
 * the stack is already disposed of (its check ran out of time meanwhile).
 */
export function startProgram(
  stack: AsyncDisposableStack,
  command: string,
  options: StartOptions = {},
): StartedProgram {
  if (stack.disposed) {
    throw new Error(`not starting ${command}: the check has ended`);
  }
  return stack.use(new StartedProgram(command, options));
}

/** A command run by `sh -c` in a new session, ended with its whole group. */
export class StartedProgram implements AsyncDisposable {
  /** The command line as given. */
  readonly command: string;
  /** The process id, which is also its process group and session id. */
  readonly pid: number;
  /** Lines written to stdout so far. */
  readonly stdout: CollectedLines;
  /** Lines written to stderr so far. */
  readonly stderr: CollectedLines;
  /** Resolves when the program exits. */
  readonly exited: Promise<ProgramExit>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #exit: ProgramExit | null = null;

  /** Starts `command` (a shell command line, as a teacher would type it). */
  constructor(command: string, options: StartOptions = {}) {
    this.command = command;
    this.#child = new Deno.Command("sh", {
      // `exec` makes the program itself the process the checker watches.
      args: ["-c", `exec ${command}`],
      env: { PYTHONUNBUFFERED: "1", NO_COLOR: "1", ...options.env },
      cwd: options.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // A new session: the program and anything it starts share one group.
      detached: true,
    }).spawn();
    this.pid = this.#child.pid;
    running.add(this);
    this.stdout = new CollectedLines(this.#child.stdout);
    this.stderr = new CollectedLines(this.#child.stderr);
    this.#stdin = this.#child.stdin.getWriter();
    this.#stdin.closed.catch(() => {}); // a program that exits closes it
    this.exited = this.#child.status.then((status) => {
      this.#exit = { code: status.code, signal: status.signal };
      return this.#exit;
    });
  }

  /** How it ended, or `null` while it runs. */
  get exit(): ProgramExit | null {
    return this.#exit;
  }

  /** Types `line` and Enter into its stdin; false if it no longer reads. */
  async type(line: string): Promise<boolean> {
    try {
      await this.#stdin.write(encoder.encode(line + "\n"));
      return true;
    } catch {
      return false; // it exited, or closed its stdin
    }
  }

  /** Waits up to `ms` for it to exit; the exit, or `null` if it still runs. */
  async waitForExit(ms: number): Promise<ProgramExit | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the program and every process in its group. */
  kill(signal: Deno.Signal = "SIGKILL"): void {
    // Even after the program itself exited, what it started may live on in
    // its group (a group id is not reused while any member lives).
    try {
      Deno.kill(-this.pid, signal);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  /** Kills the group and waits until the program and its output are gone. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stdin.close().catch(() => {});
    this.kill();
    // Children that left the group's session keep nothing of ours open.
    await this.exited;
    running.delete(this);
    // A process that left the group could hold the output open: wait a
    // little for the rest of the output, never forever.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([this.stdout.done, this.stderr.done]),
      new Promise((resolve) => timer = setTimeout(resolve, OUTPUT_GRACE_MS)),
    ]);
    clearTimeout(timer);
  }
}

/** Output lines as they arrive, with waits bounded by a time limit. */
export class CollectedLines extends LineLog {
  /** Resolves when the stream ends. */
  readonly done: Promise<void>;

  /** Collects `stream`, decoding UTF-8 leniently. */
  constructor(stream: ReadableStream<Uint8Array>) {
    super();
    this.done = this.#collect(stream);
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoderStream("utf-8", { fatal: false });
    for await (const text of stream.pipeThrough(decoder)) this.add(text);
    this.end();
  }
}

/** Substitutes `{host}` and `{port}` in a command line. */
export function fillCommand(
  command: string,
  host: string,
  port: number,
): string {
  return command.replaceAll("{host}", host).replaceAll("{port}", String(port));
}

/** Whether a command line names its port with `{port}`. */
export function hasPortPlaceholder(command: string): boolean {
  return command.includes("{port}");
}
