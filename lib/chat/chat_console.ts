/**
 * The keyboard and screen of a free-running chat. In a terminal, typing goes
 * through `node:readline` (editing, history, Tab completion); an incoming line
 * is printed above the prompt and the half-typed line, however many rows it
 * wraps to, is drawn again under it with the cursor where it was. With piped
 * stdin it is plain lines in, plain lines out, like the lesson.
 *
 * @module
 */

import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { type Frame, MAX_LINE_BYTES } from "../wire/line_splitter.ts";
import { LineReader } from "../wire/line_reader.ts";
import { Outbox } from "../room/outbox.ts";
import { interrupt } from "../cli/interrupt.ts";
import { completeInRoom, type RoomMembers } from "./room_members.ts";
import { styleRoomLine, styleTimestamp } from "./line_style.ts";

/** Lines queued for a piped stdout that nobody reads, before some are dropped. */
const MAX_PIPED_OUTPUT_BYTES = 4 * 1024 * 1024;

const encoder = new TextEncoder();

/** Options for {@linkcode ChatConsole}. */
export interface ChatConsoleOptions {
  /**
   * Shown in front of the line being typed (terminal only).
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
   * Where keys come from in a terminal.
   *
   * @default {process.stdin}
   */
  input?: Readable;
  /**
   * Where the screen is drawn in a terminal (its `columns` set the wrapping).
   *
   * @default {process.stdout}
   */
  output?: Writable;
  /**
   * Whether to edit lines and draw a prompt (else: piped lines on
   * `Deno.stdin` and `Deno.stdout`).
   *
   * @default {Deno.stdin.isTerminal() && Deno.stdout.isTerminal()}
   */
  isTerminal?: boolean;
  /**
   * Whether to colour incoming room lines (terminal only).
   *
   * @default {!Deno.noColor, i.e. unless NO_COLOR is set}
   */
  color?: boolean;
  /**
   * Put the local time (`[14:05] `) in front of each incoming line.
   *
   * @default {false}
   */
  timestamps?: boolean;
  /**
   * The clock for timestamps.
   *
   * @default {() => new Date()}
   */
  now?: () => Date;
  /**
   * The room's members, learnt from incoming lines: turns on room colours
   * and Tab completion of names and commands.
   *
   * @default {undefined}
   */
  room?: RoomMembers;
}

/** Reads what the user types and shows what arrives, without mixing them up. */
export class ChatConsole {
  readonly #prompt: string;
  readonly #maxLineBytes: number;
  readonly #terminal: boolean;
  readonly #input: Readable;
  readonly #output: Writable;
  readonly #color: boolean;
  readonly #timestamps: boolean;
  readonly #now: () => Date;
  readonly #room: RoomMembers | undefined;
  readonly #pipedOutput = new Outbox(Deno.stdout, {
    maxQueuedBytes: Infinity,
  });
  /** The line editor, while lines are being typed. */
  #editor: Interface | null = null;

  /** Makes a console on this process's stdin and stdout, or on the given streams. */
  constructor(options: ChatConsoleOptions = {}) {
    this.#prompt = options.prompt ?? "You: ";
    this.#maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.#terminal = options.isTerminal ??
      (Deno.stdin.isTerminal() && Deno.stdout.isTerminal());
    this.#input = options.input ?? process.stdin;
    this.#output = options.output ?? process.stdout;
    this.#color = this.#terminal && (options.color ?? !Deno.noColor);
    this.#timestamps = options.timestamps ?? false;
    this.#now = options.now ?? (() => new Date());
    this.#room = options.room;
  }

  /** Shows one incoming line (already made safe for the terminal). */
  show(line: string): void {
    const stamp = this.#timestamps ? `[${clockTime(this.#now())}] ` : "";
    if (!this.#terminal) {
      this.#sendPiped(encoder.encode(stamp + line + "\n"));
      return;
    }
    // Names are for Tab and colours, which only a terminal has.
    this.#room?.learn(line);
    this.#printAbovePrompt(this.#decorate(stamp, line));
  }

  /** Shows bytes that are already one or more safe, `\n`-terminated lines. */
  showBytes(bytes: Uint8Array): void {
    if (!this.#terminal && !this.#timestamps) {
      this.#sendPiped(bytes);
      return;
    }
    for (const line of splitLines(bytes)) this.show(line);
  }

  /** Resolves once every line shown so far has been written. */
  async flush(): Promise<void> {
    await this.#pipedOutput.drained();
  }

  /**
   * Stops editing: the half-typed line and its prompt are wiped, so what is
   * printed next starts on a clean line, and the terminal is given back.
   */
  close(): void {
    const editor = this.#editor;
    if (!editor) return;
    this.#editor = null;
    wipeEditor(editor);
    editor.close();
  }

  /** The lines the user enters, until end of input (Ctrl+D in a terminal). */
  async *typedLines(): AsyncGenerator<Frame> {
    if (!this.#terminal) {
      const keyboard = new LineReader(Deno.stdin, {
        maxLineBytes: this.#maxLineBytes,
      });
      for (let frame; (frame = await keyboard.readFrame()) !== null;) {
        yield frame;
      }
      return;
    }
    const frames: (Frame | null)[] = [];
    let wake = () => {};
    const editor = openEditor(this.#input, this.#output, {
      prompt: this.#prompt,
      completer: this.#room ? this.#complete : undefined,
    });
    this.#editor = editor;
    editor.on("line", (text: string) => {
      frames.push(this.#check(editor, text));
      editor.prompt();
      wake();
    });
    editor.on("close", () => {
      // Ctrl+D closes readline itself; there is nothing left to wipe.
      if (this.#editor === editor) this.#editor = null;
      frames.push(null);
      wake();
    });
    editor.prompt();
    try {
      while (true) {
        const frame = frames.shift();
        if (frame === null) return;
        if (frame) {
          yield frame;
          continue;
        }
        await new Promise<void>((resolve) => wake = resolve);
      }
    } finally {
      this.close();
    }
  }

  readonly #complete = (line: string): [string[], string] =>
    completeInRoom(line, this.#room?.names ?? []);

  /**
   * A line that fits becomes a message; one over the limit is refused and
   * put back in the editor to be shortened (after the rest of a paste).
   */
  #check(editor: Interface, text: string): Frame {
    const bytes = encoder.encode(text).length;
    if (bytes <= this.#maxLineBytes) return { kind: "line", text };
    setTimeout(() => {
      if (this.#editor === editor) insertText(editor, text);
    }, 0);
    return { kind: "oversize", bytes };
  }

  #decorate(stamp: string, line: string): string {
    if (!this.#color) return stamp + line;
    const styled = this.#room ? styleRoomLine(line, this.#room.myName) : line;
    return (stamp ? styleTimestamp(stamp) : "") + styled;
  }

  /** Prints `text` on its own line(s), above the prompt if one is shown. */
  #printAbovePrompt(text: string): void {
    const editor = this.#editor;
    if (!editor) {
      this.#output.write(text + "\n");
      return;
    }
    const { line, cursor } = editor;
    wipeEditor(editor);
    this.#output.write(text + "\n");
    setEditor(editor, line, cursor);
    editor.setPrompt(this.#prompt);
    editor.prompt(true);
  }

  /**
   * Queues output for a pipe. If nobody reads the pipe, lines are dropped
   * rather than held without bound, and output resumes once it drains.
   */
  #sendPiped(bytes: Uint8Array): void {
    if (this.#pipedOutput.queuedBytes + bytes.length > MAX_PIPED_OUTPUT_BYTES) {
      return;
    }
    this.#pipedOutput.send(bytes);
  }
}

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

interface EditorOptions {
  prompt: string;
  completer?: (line: string) => [string[], string];
  history?: string[];
}

/** A readline interface in terminal mode, with Ctrl+C as an interrupt. */
function openEditor(
  input: Readable,
  output: Writable,
  options: EditorOptions,
): Interface {
  const editor = createInterface({
    input,
    output,
    terminal: true,
    prompt: options.prompt,
    completer: options.completer,
    history: options.history,
    historySize: 1000,
    // A repeated line is recalled once, as in most shells.
    removeHistoryDuplicates: true,
    tabSize: 4,
  });
  // Raw mode turns Ctrl+C into a key: do what the signal would have done.
  editor.on("SIGINT", () => interrupt());
  // On a resize the terminal rewraps the lines already on screen, so the
  // cursor's row is where the new width puts it. Readline redraws on resize
  // from the row it drew at the old width; correct that first.
  const rewrapped = () => trustCurrentWidth(editor);
  output.prependListener("resize", rewrapped);
  editor.on("close", () => output.off("resize", rewrapped));
  return editor;
}

/** The editor's text and cursor, which readline lets us set. */
type EditableLine = { line: string; cursor: number };

/**
 * Clears the prompt and half-typed line, all the rows they wrap to, leaving
 * the cursor at the start of the first: readline redraws an empty prompt,
 * which it does knowing where its rows are.
 */
function wipeEditor(editor: Interface): void {
  // A resize may not have been reported yet: go by the width there is now.
  trustCurrentWidth(editor);
  const prompt = editor.getPrompt();
  setEditor(editor, "", 0);
  editor.setPrompt("");
  editor.prompt(true);
  editor.setPrompt(prompt);
}

/**
 * Tells readline which row of its line the cursor is on at the current
 * width (readline remembers the row from its last redraw, which a resize
 * makes wrong).
 */
function trustCurrentWidth(editor: Interface): void {
  (editor as unknown as { prevRows: number }).prevRows =
    editor.getCursorPos().rows;
}

/** Inserts `text` at the cursor and redraws the line, however many rows it grows. */
function insertText(editor: Interface, text: string): void {
  trustCurrentWidth(editor);
  const { line, cursor } = editor;
  setEditor(
    editor,
    line.slice(0, cursor) + text + line.slice(cursor),
    cursor + text.length,
  );
  editor.prompt(true);
}

function setEditor(editor: Interface, line: string, cursor: number): void {
  const editable = editor as unknown as EditableLine;
  editable.line = line;
  editable.cursor = cursor;
}

function splitLines(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes).replace(/\n$/, "");
  return text.split("\n");
}

/** `14:05`, in local time. */
function clockTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
