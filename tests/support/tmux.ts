/**
 * A real terminal for tests: a command in a tmux pane, its screen read back
 * as text. Each pane has a tmux server of its own (`tmux -L`), so tests never
 * meet each other's sessions or a user's.
 *
 * @module
 */

import { needProgram } from "./requires.ts";
import { WAIT_MS } from "./process.ts";

/** Why tmux tests cannot run here, or `null`. */
export const TMUX_MISSING: string | null = needProgram("tmux", "tmux");

const ROOT = new URL("../../", import.meta.url).pathname;
let panes = 0;

/** Options for {@linkcode TmuxPane.start}. */
export interface TmuxPaneOptions {
  /**
   * Columns; wide by default so that long one-line errors are not wrapped.
   *
   * @default {400}
   */
  width?: number;
  /**
   * Rows.
   *
   * @default {30}
   */
  height?: number;
  /**
   * Working directory.
   *
   * @default {the repository root}
   */
  cwd?: string;
}

/** A shell command running in a terminal of its own. */
export class TmuxPane implements AsyncDisposable {
  readonly #socket: string;

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /**
   * Runs `command` (a `sh -c` line) in a new terminal. When it ends, the
   * pane shows `[exit N]` and stays open to be read.
   */
  static async start(
    command: string,
    options: TmuxPaneOptions = {},
  ): Promise<TmuxPane> {
    const pane = new TmuxPane(`chatlab-test-${Deno.pid}-${++panes}`);
    await pane.#tmux(
      "new-session",
      "-d",
      "-s",
      "test",
      "-x",
      String(options.width ?? 400),
      "-y",
      String(options.height ?? 30),
      "-c",
      options.cwd ?? ROOT,
      `${command}; echo "[exit $?]"; exec sleep 3600`,
    );
    return pane;
  }

  /** The screen's lines, right-trimmed, without blank lines. */
  async screen(): Promise<string[]> {
    const text = await this.#tmux("capture-pane", "-p", "-t", "test");
    return text.split("\n").map((line) => line.trimEnd())
      .filter((line) => line !== "");
  }

  /** Waits until the screen satisfies `check`, and returns its lines. */
  async waitForScreen(check: (lines: string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      const lines = await this.screen();
      if (check(lines)) return lines;
      if (Date.now() > deadline) {
        throw new Error(
          `The terminal never showed what was expected; it shows:\n${
            lines.join("\n")
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Waits for the command to end (the `[exit N]` line) or to stop at a
   * question (Deno's permission prompt), and returns the screen.
   */
  async waitForExitOrPrompt(): Promise<string[]> {
    return await this.waitForScreen((lines) =>
      lines.some((line) => /^\[exit \d+\]$/.test(line) || /Allow\?/.test(line))
    );
  }

  /** Types `text` literally. */
  async type(text: string): Promise<void> {
    await this.#tmux("send-keys", "-t", "test", "-l", text);
  }

  /** Presses keys by tmux name: `Enter`, `C-d`, `C-c`. */
  async press(...keys: string[]): Promise<void> {
    await this.#tmux("send-keys", "-t", "test", ...keys);
  }

  /** Stops the pane's tmux server and everything running in it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await new Deno.Command("tmux", {
      args: ["-L", this.#socket, "kill-server"],
      stdout: "null",
      stderr: "null",
    }).output();
  }

  async #tmux(...args: string[]): Promise<string> {
    const { success, stdout, stderr } = await new Deno.Command("tmux", {
      args: ["-L", this.#socket, ...args],
      stdin: "null",
    }).output();
    if (!success) {
      throw new Error(
        `tmux ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`,
      );
    }
    return new TextDecoder().decode(stdout);
  }
}

/** Quotes `word` for `sh`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}
