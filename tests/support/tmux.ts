/**
 * A program in a real terminal: a tmux pane (its own tmux server, so tests
 * never touch anyone's sessions), keys sent as a person types them, and the
 * screen read back as the person would see it.
 *
 * @module
 */

import { assertOk } from "./assert.ts";
import { WAIT_MS } from "./process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

let panes = 0;

/** Options for {@linkcode TmuxPane.start}. */
export interface TmuxPaneOptions {
  /**
   * Columns of the pane.
   *
   * @default {80}
   */
  width?: number;
  /**
   * Rows of the pane.
   *
   * @default {24}
   */
  height?: number;
  /**
   * Environment variables for the program; `null` removes one.
   *
   * @default {{ NO_COLOR: null }}
   */
  env?: Record<string, string | null>;
}

/** One tmux pane running one command line, removed on dispose. */
export class TmuxPane implements AsyncDisposable {
  readonly #socket: string;

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /**
   * Runs `args` (a `deno run` of chatlab's scripts, say) in a new pane, from
   * the repository root. After the program exits the pane stays, so its last
   * words can be read.
   */
  static async start(
    args: string[],
    options: TmuxPaneOptions = {},
  ): Promise<TmuxPane> {
    const socket = `chatlab-test-${Deno.pid}-${++panes}`;
    const pane = new TmuxPane(socket);
    const env = Object.entries({ NO_COLOR: null, ...options.env })
      .map(([name, value]) =>
        value === null ? `-u ${name}` : `${name}=${shellQuote(value)}`
      );
    const command = `cd ${shellQuote(ROOT)} && env ${env.join(" ")} ${
      args.map(shellQuote).join(" ")
    }; sleep 600`;
    await pane.tmux(
      "new-session",
      "-d",
      "-x",
      String(options.width ?? 80),
      "-y",
      String(options.height ?? 24),
      command,
    );
    return pane;
  }

  /** Types `text` literally, as one burst. */
  async type(text: string): Promise<void> {
    await this.tmux("send-keys", "-l", text);
  }

  /** Presses keys by tmux name: `Enter`, `Left`, `C-w`, `Tab`, `Up`... */
  async press(...keys: string[]): Promise<void> {
    for (const key of keys) await this.tmux("send-keys", key);
  }

  /** Pastes `text` as a terminal paste does (each `\n` arrives as Enter). */
  async paste(text: string): Promise<void> {
    await this.tmux("set-buffer", text);
    await this.tmux("paste-buffer");
  }

  /** Makes the pane `width` columns wide. */
  async resize(width: number): Promise<void> {
    await this.tmux("resize-window", "-x", String(width));
  }

  /** The visible screen, one string per row, trailing spaces and empty rows dropped. */
  async screen(options: { escapes?: boolean } = {}): Promise<string[]> {
    const args = ["capture-pane", "-p", ...(options.escapes ? ["-e"] : [])];
    return (await this.tmux(...args)).split("\n").map((row) => row.trimEnd())
      .filter((row) => row !== "");
  }

  /** Waits until the screen satisfies `check`, and returns it. */
  async waitForScreen(
    check: (rows: string[]) => boolean,
    options: { escapes?: boolean } = {},
  ): Promise<string[]> {
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      const rows = await this.screen(options);
      if (check(rows)) return rows;
      if (Date.now() > deadline) {
        throw new Error(`Screen never matched; it shows:\n${rows.join("\n")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until the last rows of the screen are exactly `rows`. */
  async waitForBottom(...rows: string[]): Promise<string[]> {
    return await this.waitForScreen((screen) =>
      screen.slice(-rows.length).join("\n") === rows.join("\n")
    );
  }

  /** Runs tmux on this pane's server and returns its stdout. */
  async tmux(...args: string[]): Promise<string> {
    const { stdout, stderr, success } = await new Deno.Command("tmux", {
      args: ["-L", this.#socket, ...args],
    }).output();
    assertOk(
      success,
      `tmux ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`,
    );
    return new TextDecoder().decode(stdout);
  }

  /** Ends the pane and its tmux server. */
  async [Symbol.asyncDispose](): Promise<void> {
    await new Deno.Command("tmux", {
      args: ["-L", this.#socket, "kill-server"],
      stdout: "null",
      stderr: "null",
    }).output();
  }
}

/** `text` as one word for `sh`. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The screen rows of a wrapped line joined back into one, for comparing. */
export function joinRows(rows: readonly string[]): string {
  return rows.join("");
}
