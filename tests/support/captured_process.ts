/**
 * A running process whose stdout is kept byte for byte as well as in lines,
 * to check exactly what would reach a terminal: decoding to lines turns
 * invalid UTF-8 into U+FFFD, which would hide a raw byte.
 *
 * @module
 */

import { OutputLines, withTimeout } from "./process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A process with piped stdin, its stdout kept raw and in lines. */
export class CapturedProcess implements AsyncDisposable {
  /** The running process. */
  readonly child: Deno.ChildProcess;
  /** Its stdout, line by line. */
  readonly stdout: OutputLines;
  /** Its stderr, line by line. */
  readonly stderr: OutputLines;
  readonly #chunks: Uint8Array[] = [];
  readonly #collecting: Promise<void>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;

  /** Starts `command args...` in the repository root. */
  constructor(command: string, args: string[]) {
    this.child = new Deno.Command(command, {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const [forLines, forBytes] = this.child.stdout.tee();
    this.stdout = new OutputLines(forLines);
    this.stderr = new OutputLines(this.child.stderr);
    this.#collecting = this.#collect(forBytes);
    this.#stdin = this.child.stdin.getWriter();
  }

  /** Everything written to stdout so far, as bytes. */
  get stdoutBytes(): Uint8Array {
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

  /** Writes each line followed by `\n` to stdin. */
  async writeLines(...lines: string[]): Promise<void> {
    await withTimeout(
      this.#stdin.write(
        new TextEncoder().encode(lines.map((line) => line + "\n").join("")),
      ),
      "stdin write",
    );
  }

  /** Kills the process if it still runs, and waits for all its output. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stdin.close().catch(() => {});
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await withTimeout(this.child.status, "killed process exit");
    await withTimeout(
      Promise.all([this.stdout.done, this.stderr.done, this.#collecting]),
      "the end of the process's output",
    );
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream) this.#chunks.push(chunk);
  }
}
