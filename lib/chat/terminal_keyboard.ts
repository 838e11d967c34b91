/**
 * Take-turns typing in a terminal: one edited line at a time (the lesson's
 * `You: ` prompt, with the chat console's keys and history).
 *
 * @module
 */

import process from "node:process";
import type { Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { type Frame, MAX_LINE_BYTES } from "../wire/line_splitter.ts";
import { insertText, openEditor, wipeEditor } from "./line_editor.ts";

const encoder = new TextEncoder();

/** Options for {@linkcode TerminalKeyboard}. */
export interface TerminalKeyboardOptions {
  /**
   * Shown in front of the line being typed.
   *
   * @default {"You: "}
   */
  prompt?: string;
  /**
   * The longest line that can be sent, in bytes.
   *
   * @default {1024}
   */
  maxLineBytes?: number;
  /**
   * Where keys come from.
   *
   * @default {process.stdin}
   */
  input?: Readable;
  /**
   * Where the prompt and typing are drawn.
   *
   * @default {process.stdout}
   */
  output?: Writable;
}

/**
 * Take-turns typing in a terminal: one edited line at a time, with the same
 * keys and history as the chat console. Between lines the terminal is left
 * as usual, so what is typed during the other side's turn waits for the next.
 * Has the `readFrame()` of a {@linkcode LineReader}.
 */
export class TerminalKeyboard {
  readonly #prompt: string;
  readonly #maxLineBytes: number;
  readonly #input: Readable;
  readonly #output: Writable;
  readonly #history: string[] = [];
  /** A refused (oversize) line, put back in the editor at the next prompt. */
  #refused = "";
  /**
   * Keys that came after Enter in the same burst (the rest of a paste), kept
   * for the next turn rather than lost with the editor.
   */
  readonly #pendingKeys: [string | undefined, unknown][] = [];
  readonly #keepKey = (sequence: string | undefined, key: unknown) => {
    this.#pendingKeys.push([sequence, key]);
  };
  /** The editor of the line being typed, if one is. */
  #editor: Interface | null = null;

  /** Makes a keyboard on this process's stdin and stdout, or on the given streams. */
  constructor(options: TerminalKeyboardOptions = {}) {
    this.#prompt = options.prompt ?? "You: ";
    this.#maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.#input = options.input ?? process.stdin;
    this.#output = options.output ?? process.stdout;
  }

  /** Shows the prompt and resolves with the line typed, or `null` at end of input. */
  readFrame(): Promise<Frame | null> {
    this.#input.off("keypress", this.#keepKey);
    const editor = openEditor(this.#input, this.#output, {
      prompt: this.#prompt,
      history: this.#history,
    });
    const { promise, resolve } = Promise.withResolvers<Frame | null>();
    editor.on("line", (text: string) => {
      const bytes = encoder.encode(text).length;
      const fits = bytes <= this.#maxLineBytes;
      // Too long: kept, to be shortened at the next prompt.
      this.#refused = fits ? "" : text;
      resolve(fits ? { kind: "line", text } : { kind: "oversize", bytes });
      this.#input.on("keypress", this.#keepKey);
      editor.close();
    });
    editor.on("close", () => {
      if (this.#editor === editor) this.#editor = null;
      resolve(null);
    });
    this.#editor = editor;
    editor.prompt();
    if (this.#refused) insertText(editor, this.#refused);
    // Replayed as keys into this editor; after its Enter, kept again.
    for (const [sequence, key] of this.#pendingKeys.splice(0)) {
      this.#input.emit("keypress", sequence, key);
    }
    return promise;
  }

  /**
   * Stops editing: the prompt and any half-typed text are wiped, and a
   * pending {@linkcode TerminalKeyboard.readFrame} resolves with `null`.
   */
  close(): void {
    const editor = this.#editor;
    if (!editor) return;
    this.#editor = null;
    wipeEditor(editor);
    editor.close();
  }
}
