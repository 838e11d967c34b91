import { WAIT_MS } from "./wait.ts";
/**
 * Lines as they arrive (a process's stdout or stderr, a socket's lines), and
 * waiting for the one a test expects instead of sleeping. {@linkcode LineLog}
 * is what {@linkcode OutputLines} and `RawClient` share.
 *
 * @module
 */

/** How many of the last lines a failed wait shows. */
const SHOWN_LINES = 40;

/** Lines received so far, and waits for the next ones, each bounded by {@linkcode WAIT_MS}. */
export class LineLog {
  /** Every line so far, in order. */
  readonly lines: string[] = [];
  readonly #source: string;
  #waiters: (() => void)[] = [];
  #ended = false;

  /** `source` names what ends in errors: `"Output"`, `"Connection"`. */
  constructor(source = "Output") {
    this.#source = source;
  }

  /** Everything so far, joined with `\n`. */
  get text(): string {
    return this.lines.join("\n");
  }

  /** Whether no more lines will come. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds lines and wakes every wait. */
  push(...lines: string[]): void {
    this.lines.push(...lines);
    this.#wake();
  }

  /** Marks the end: waits still looking fail at once. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** Waits for a line that is exactly `line` (the whole line); returns it. */
  waitForLine(line: string): Promise<string> {
    return this.#waitUntil(
      (text) => text === line ? text : null,
      `a line equal to ${JSON.stringify(line)}`,
    );
  }

  /** Waits for a line that starts with `prefix`; returns the whole line. */
  waitForLineStarting(prefix: string): Promise<string> {
    return this.#waitUntil(
      (text) => text.startsWith(prefix) ? text : null,
      `a line starting with ${JSON.stringify(prefix)}`,
    );
  }

  /** Waits for a line that contains `text` anywhere; returns the whole line. */
  waitForContaining(text: string): Promise<string> {
    return this.#waitUntil(
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

  /** Waits until `count` lines have arrived. */
  async waitForCount(count: number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (this.lines.length < count) {
      if (this.#ended || Date.now() > deadline) {
        throw new Error(
          `Expected ${count} lines, got ${this.lines.length}:\n${this.#tail()}`,
        );
      }
      await this.#nextChange(deadline);
    }
  }

  /** Waits for the end (the stream closed). */
  async waitForEnd(): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.#ended) {
      if (Date.now() > deadline) {
        throw new Error(
          `${this.#source} did not end within ${WAIT_MS} ms; got:\n${this.#tail()}`,
        );
      }
      await this.#nextChange(deadline);
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
        throw new Error(
          `${this.#source} ended without ${what}; got:\n${this.#tail()}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `No ${what} within ${WAIT_MS} ms; got:\n${this.#tail()}`,
        );
      }
      await this.#nextChange(deadline);
    }
  }

  #tail(): string {
    const shown = this.lines.slice(-SHOWN_LINES).join("\n");
    return this.lines.length > SHOWN_LINES
      ? `(the last ${SHOWN_LINES} of ${this.lines.length} lines)\n${shown}`
      : shown;
  }

  #nextChange(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(deadline - Date.now(), 0));
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
}

/** Lines of a process's output, as they arrive. */
export class OutputLines extends LineLog {
  /** Settles when the stream has ended and every line is in. */
  readonly done: Promise<void>;
  #raw = "";

  /** Collects from `stream`; `null` (output not captured) collects nothing. */
  constructor(stream: ReadableStream<Uint8Array> | null) {
    super("Output");
    if (stream === null) this.end();
    this.done = stream === null ? Promise.resolve() : this.#collect(stream);
  }

  /** Everything so far exactly as printed (decoded), final newline and all. */
  get raw(): string {
    return this.#raw;
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      this.#raw += text;
      const parts = (partial + text).split("\n");
      partial = parts.pop()!;
      this.push(...parts);
    }
    if (partial !== "") this.lines.push(partial);
    this.end();
  }
}
