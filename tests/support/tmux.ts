/**
 * A real terminal for tests: a command in a tmux pane, its screen read back
 * as text. Each pane has a tmux server of its own (`tmux -L`), so tests never
 * meet each other's sessions or a user's.
 *
 * @module
 */

import { needProgram } from "./requires.ts";
import { ROOT } from "./paths.ts";
import { eventually } from "./wait.ts";
import { runToExit } from "./process.ts";

/** Why tmux tests cannot run here, or `null`. */
export const TMUX_MISSING: string | null = needProgram("tmux", "tmux");

let panes = 0;

/**
 * How tmux itself runs: with the test's environment as it is, since the
 * first tmux command starts the server whose environment every pane gets
 * (`NO_COLOR` would take the colours tests look for).
 */
const TMUX_RUN = { noColor: false } as const;

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
  /**
   * Environment variables for the command; `null` removes one.
   *
   * @default {{}}
   */
  env?: Record<string, string | null>;
}

/** A shell command running in a terminal of its own. */
export class TmuxPane implements AsyncDisposable {
  readonly #socket: string;

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /**
   * Runs `command` (a `sh -c` line, or words to quote) in a new terminal.
   * When it ends, the pane shows `[exit N]` and stays open to be read.
   */
  static async start(
    command: string | string[],
    options: TmuxPaneOptions = {},
  ): Promise<TmuxPane> {
    const pane = new TmuxPane(`chatlab-test-${Deno.pid}-${++panes}`);
    if (Array.isArray(command)) command = command.map(shellQuote).join(" ");
    const env = Object.entries(options.env ?? {}).map(([name, value]) =>
      value === null ? `-u ${name}` : `${name}=${shellQuote(value)}`
    );
    if (env.length > 0) command = `env ${env.join(" ")} ${command}`;
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

  /**
   * The screen's lines, right-trimmed, without blank lines; with `escapes`,
   * the colours too, and with `scrollback` the lines above the screen.
   */
  async screen(options: ScreenOptions = {}): Promise<string[]> {
    const text = await this.#tmux(
      "capture-pane",
      "-p",
      ...(options.escapes ? ["-e"] : []),
      ...(options.scrollback ? ["-S", "-"] : []),
      "-t",
      "test",
    );
    return text.split("\n").map((line) => line.trimEnd())
      .filter((line) => line !== "");
  }

  /** Waits until the screen satisfies `check`, and returns its lines. */
  async waitForScreen(
    check: (lines: string[]) => boolean,
    options: ScreenOptions = {},
  ): Promise<string[]> {
    let lines: string[] = [];
    await eventually(
      () =>
        `the terminal to show what was expected; it shows:\n${
          lines.join("\n")
        }`,
      async () => check(lines = await this.screen(options)),
    );
    return lines;
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

  /** Presses keys by tmux name, one after another: `Enter`, `Left`, `C-w`. */
  async press(...keys: string[]): Promise<void> {
    for (const key of keys) await this.#tmux("send-keys", "-t", "test", key);
  }

  /** Pastes `text` as a terminal paste does (each `\n` arrives as Enter). */
  async paste(text: string): Promise<void> {
    await this.#tmux("set-buffer", text);
    await this.#tmux("paste-buffer", "-t", "test");
  }

  /**
   * Makes the pane `width` columns wide, and waits until the program in it
   * can know: tmux rewraps its screen at once but tells the program's
   * terminal (and so the program) up to 250 ms later, to batch resizes.
   */
  async resize(width: number): Promise<void> {
    await this.#tmux("resize-window", "-t", "test", "-x", String(width));
    const tty = (await this.#tmux("display", "-p", "-t", "test", "#{pane_tty}"))
      .trim();
    let size = "";
    await eventually(
      () => `${tty} to be ${width} columns wide; stty says "${size}"`,
      async () => {
        size = (await runToExit("stty", ["-F", tty, "size"])).stdoutText.trim();
        return size.endsWith(` ${width}`);
      },
    );
  }

  /** Waits until the last lines of the screen are exactly `lines`. */
  async waitForBottom(...lines: string[]): Promise<string[]> {
    return await this.waitForScreen((screen) =>
      screen.slice(-lines.length).join("\n") === lines.join("\n")
    );
  }

  /** Stops the pane's tmux server and everything running in it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await runToExit("tmux", ["-L", this.#socket, "kill-server"], TMUX_RUN);
  }

  async #tmux(...args: string[]): Promise<string> {
    const { status, stdoutText, stderrText } = await runToExit("tmux", [
      "-L",
      this.#socket,
      ...args,
    ], TMUX_RUN);
    if (!status.success) {
      throw new Error(`tmux ${args.join(" ")} failed: ${stderrText}`);
    }
    return stdoutText;
  }
}

/** What {@linkcode TmuxPane.screen} reads. */
export interface ScreenOptions {
  /**
   * Keep the escape sequences that set colours.
   *
   * @default {false}
   */
  escapes?: boolean;
  /**
   * Start with the lines scrolled off the top (tmux's history).
   *
   * @default {false}
   */
  scrollback?: boolean;
}

/** The screen rows of a wrapped line joined back into one, for comparing. */
export function joinRows(rows: readonly string[]): string {
  return rows.join("");
}

/** Quotes `word` for `sh`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}
