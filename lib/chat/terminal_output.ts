/**
 * The terminal as the line editor writes to it, with one sequence changed so
 * that redrawing never copies the screen into the terminal's scrollback.
 *
 * @module
 */

import process from "node:process";
import { Writable } from "node:stream";

/** Erase from the cursor to the end of the screen (ED 0), as readline sends it. */
const CLEAR_SCREEN_DOWN = "\x1b[0J";

/**
 * The same erase done as "this row, then from the next row down", with the
 * cursor saved and restored around it. tmux, asked to erase the whole screen
 * from its top-left corner, moves the screen into its scrollback instead; a
 * narrowing puts a long half-typed line at the top, so each redraw there left
 * a copy of it in the scrollback that widening the terminal brought back.
 */
const CLEAR_SCREEN_DOWN_IN_PLACE = "\x1b7\x1b[2K\x1b[1B\x1b[0J\x1b8";

/**
 * The cursor sent to the top-left corner, as readline does for Ctrl+L just
 * before its erase: that one clears the screen on purpose, and tmux keeping
 * the screen in its scrollback then is what a user wants.
 */
const CURSOR_HOME = "\x1b[1;1H";

/** What the editor needs of a terminal's output: a writable stream with a size. */
export interface TerminalStream extends Writable {
  readonly columns?: number;
  readonly rows?: number;
}

/**
 * Forwards every write to `terminal` at once (so it stays in order with
 * direct writes), erasing without touching the scrollback, and passes on
 * the terminal's size and `resize` events.
 */
export class TerminalOutput extends Writable {
  readonly #terminal: TerminalStream;
  readonly #resized = () => this.emit("resize");
  #lastWrite = "";

  /** Wraps `terminal` until {@linkcode TerminalOutput.detach} is called. */
  constructor(terminal: TerminalStream) {
    super({ decodeStrings: false });
    this.#terminal = terminal;
    terminal.on("resize", this.#resized);
  }

  /**
   * The terminal's width, by which readline wraps: asked of the terminal
   * itself when it is ours, since a line may arrive after the terminal was
   * resized but before the process is told (SIGWINCH), and it must be wiped
   * by the rows it takes now.
   */
  get columns(): number | undefined {
    return this.#liveSize()?.columns ?? this.#terminal.columns;
  }

  /** The terminal's height. */
  get rows(): number | undefined {
    return this.#liveSize()?.rows ?? this.#terminal.rows;
  }

  #liveSize(): { columns: number; rows: number } | undefined {
    if (this.#terminal !== process.stdout) return undefined;
    try {
      return Deno.consoleSize();
    } catch {
      return undefined; // Not a terminal after all.
    }
  }

  /** Stops passing on the terminal's `resize` events. */
  detach(): void {
    this.#terminal.off("resize", this.#resized);
  }

  override _write(
    chunk: string | Uint8Array,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    if (typeof chunk === "string") {
      const clearingScreen = this.#lastWrite === CURSOR_HOME;
      this.#lastWrite = chunk;
      if (!clearingScreen) {
        chunk = chunk.replaceAll(CLEAR_SCREEN_DOWN, CLEAR_SCREEN_DOWN_IN_PLACE);
      }
    }
    this.#terminal.write(chunk);
    callback();
  }
}
