/**
 * Lines as they arrive from a program or a connection the checker watches,
 * with waits bounded by a time limit (a check never hangs on a silent peer).
 *
 * @module
 */

/** Options for {@linkcode LineLog.end}. */
export interface LineLogEndOptions {
  /**
   * Keep a last line that had no `\n`.
   *
   * @default {true}
   */
  keepPartial?: boolean;
}

/** Lines in arrival order, each without its `\n` (or `\r\n`). */
export class LineLog {
  /** Every complete line so far. */
  readonly lines: string[] = [];
  #partial = "";
  #ended = false;
  #wake: (() => void)[] = [];

  /** Whether the input has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds decoded text; each line it completes is kept. */
  add(text: string): void {
    const parts = (this.#partial + text).split("\n");
    this.#partial = parts.pop()!;
    this.lines.push(...parts.map((line) => line.replace(/\r$/, "")));
    this.#notify();
  }

  /** The input ended: waits end too. */
  end(options: LineLogEndOptions = {}): void {
    if (this.#ended) return;
    if ((options.keepPartial ?? true) && this.#partial !== "") {
      this.lines.push(this.#partial);
    }
    this.#ended = true;
    this.#notify();
  }

  /**
   * Waits up to `ms` for a line from index `from` on that satisfies `test`;
   * returns its index, or -1.
   */
  async waitFor(
    test: (line: string) => boolean,
    ms: number,
    from = 0,
  ): Promise<number> {
    const deadline = Date.now() + ms;
    let seen = from;
    while (true) {
      for (; seen < this.lines.length; seen++) {
        if (test(this.lines[seen])) return seen;
      }
      const left = deadline - Date.now();
      if (this.#ended || left <= 0) return -1;
      await this.#changed(left);
    }
  }

  #changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #notify(): void {
    const waiting = this.#wake;
    this.#wake = [];
    for (const wake of waiting) wake();
  }
}
