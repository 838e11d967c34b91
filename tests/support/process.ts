/**
 * Runs real processes for end-to-end tests: chatlab's scripts, the lesson's
 * Python programs, `nc`. Output is collected line by line so a test can wait
 * for a line instead of sleeping.
 *
 * @module
 */

/** How long a test waits for an expected line before failing (a hang guard, not a speed check). */
export const WAIT_MS = 15_000;

const ROOT = new URL("../../", import.meta.url).pathname;
const encoder = new TextEncoder();

/** Options for {@linkcode spawnProcess}. */
export interface SpawnOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * Working directory.
   *
   * @default {the repository root}
   */
  cwd?: string;
}

/** A running process with its stdin open and its output collected. */
export class RunningProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: OutputLines;
  readonly stderr: OutputLines;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stdinClosed = false;

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    this.child = new Deno.Command(command, {
      args,
      cwd: options.cwd ?? ROOT,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stdout = new OutputLines(this.child.stdout);
    this.stderr = new OutputLines(this.child.stderr);
    this.#stdin = this.child.stdin.getWriter();
  }

  /** Writes text to the process's stdin. */
  async write(text: string): Promise<void> {
    // A process that stops reading fills the pipe: fail, never hang.
    await withTimeout(this.#stdin.write(encoder.encode(text)), "stdin write");
  }

  /** Writes each line followed by `\n`. */
  async writeLines(...lines: string[]): Promise<void> {
    await this.write(lines.map((line) => line + "\n").join(""));
  }

  /** Closes stdin (end of input). */
  async closeStdin(): Promise<void> {
    if (this.#stdinClosed) return;
    this.#stdinClosed = true;
    try {
      await withTimeout(this.#stdin.close(), "stdin close");
    } catch (error) {
      // The process has exited and its end of the pipe is gone: nothing to close.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  }

  /** Closes stdin and waits for the exit status and all output. */
  async finish(): Promise<Deno.CommandStatus> {
    await this.closeStdin();
    const status = await withTimeout(this.child.status, "process exit");
    await this.#outputDone();
    return status;
  }

  /** Kills the process if it still runs, and releases everything. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await withTimeout(this.child.status, "killed process exit");
    await this.#outputDone();
  }

  /** Waits for the end of stdout and stderr (a child of the process may hold them). */
  async #outputDone(): Promise<void> {
    await withTimeout(
      Promise.all([this.stdout.done, this.stderr.done]),
      "the end of the process's output",
    );
  }
}

/** Lines of a process's output, as they arrive. */
export class OutputLines {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  #waiters: (() => void)[] = [];
  #ended = false;

  /** Collects from `stream`; `null` (output not captured) collects nothing. */
  constructor(stream: ReadableStream<Uint8Array> | null) {
    this.#ended = stream === null;
    this.done = stream === null ? Promise.resolve() : this.#collect(stream);
  }

  /** Everything so far, joined with `\n`. */
  get text(): string {
    return this.lines.join("\n");
  }

  /** Waits for a line that is exactly `line` (the whole line); returns it. */
  async waitForLine(line: string): Promise<string> {
    return await this.#waitUntil(
      (text) => text === line ? text : null,
      `a line equal to ${JSON.stringify(line)}`,
    );
  }

  /** Waits for a line that starts with `prefix`; returns the whole line. */
  async waitForLineStarting(prefix: string): Promise<string> {
    return await this.#waitUntil(
      (text) => text.startsWith(prefix) ? text : null,
      `a line starting with ${JSON.stringify(prefix)}`,
    );
  }

  /** Waits for a line that contains `text` anywhere; returns the whole line. */
  async waitForContaining(text: string): Promise<string> {
    return await this.#waitUntil(
      (line) => line.includes(text) ? line : null,
      `a line containing ${JSON.stringify(text)}`,
    );
  }

  /** Waits for a line matching `pattern`; returns the match (`input` is the line). */
  waitForMatch(pattern: RegExp): Promise<RegExpMatchArray> {
    return this.#waitUntil(
      (line) => line.match(pattern),
      `a line matching ${pattern}`,
    );
  }

  /**
   * Waits for a line matching `pattern`, or containing it anywhere when it
   * is a string.
   *
   * @deprecated Say what is meant: {@linkcode OutputLines.waitForLine},
   * {@linkcode OutputLines.waitForLineStarting},
   * {@linkcode OutputLines.waitForContaining} or
   * {@linkcode OutputLines.waitForMatch}.
   */
  waitFor(pattern: RegExp | string): Promise<RegExpMatchArray> {
    return this.waitForMatch(
      typeof pattern === "string" ? new RegExp(escapeRegExp(pattern)) : pattern,
    );
  }

  /** Waits until `count` lines have arrived. */
  async waitForCount(count: number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (this.lines.length < count) {
      if (this.#ended || Date.now() > deadline) {
        throw new Error(
          `Expected ${count} lines, got ${this.lines.length}:\n${this.text}`,
        );
      }
      await this.#nextChange(deadline - Date.now());
    }
  }

  /** Checks each line, old and new, until `match` finds one or time is up. */
  async #waitUntil<T>(
    match: (line: string) => T | null,
    what: string,
  ): Promise<T> {
    let seen = 0;
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      for (; seen < this.lines.length; seen++) {
        const found = match(this.lines[seen]);
        if (found !== null) return found;
      }
      if (this.#ended) {
        throw new Error(`Output ended without ${what}; got:\n${this.text}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `No ${what} within ${WAIT_MS} ms; got:\n${this.text}`,
        );
      }
      await this.#nextChange(deadline - Date.now());
    }
  }

  #nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(ms, 0));
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (partial + text).split("\n");
      partial = parts.pop()!;
      this.lines.push(...parts);
      this.#wake();
    }
    if (partial !== "") this.lines.push(partial);
    this.#ended = true;
    this.#wake();
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

/** Starts `deno run` on one of chatlab's scripts with the permissions users get. */
export function runScript(
  script: "server.ts" | "client.ts",
  args: string[],
  options: SpawnOptions = {},
): RunningProcess {
  return new RunningProcess(Deno.execPath(), [
    "run",
    ...USER_PERMISSIONS,
    script,
    ...args,
  ], options);
}

/** Starts `server.ts` on port 0 and returns it with the port it printed. */
export async function startServer(
  args: string[] = [],
  options: SpawnOptions = {},
): Promise<{ server: RunningProcess; port: number }> {
  const server = runScript("server.ts", ["--port", "0", ...args], options);
  const match = await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/);
  return { server, port: Number(match[1]) };
}

/** Rejects if `promise` takes longer than {@linkcode WAIT_MS}. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out waiting for ${what}`)),
      WAIT_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
