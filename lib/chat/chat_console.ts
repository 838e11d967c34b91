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
import type { Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { type Frame, MAX_LINE_BYTES } from "../wire/line_splitter.ts";
import { LineReader } from "../wire/line_reader.ts";
import { Outbox } from "../room/outbox.ts";
import { PendingRuns } from "../room/pending_runs.ts";
import { completeInRoom, type RoomMembers } from "./room_members.ts";
import { styleRoomLine, styleTimestamp } from "./line_style.ts";
import {
  insertText,
  openEditor,
  setEditor,
  wipeEditor,
} from "./line_editor.ts";

/** Lines queued for a piped stdout that nobody reads, before some are dropped. */
const MAX_PIPED_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * How long lines for a pipe wait to share a write. Each write to stdout is
 * handed to another thread, which takes the CPU from the room for a moment:
 * a server printing its room to a log did that for every line.
 */
const PIPED_GATHER_MS = 20;

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
  /** Lines for a pipe gathered for one write, and the bytes they hold. */
  readonly #gathered = new PendingRuns();
  #gatheredBytes = 0;
  #gatherTimer: ReturnType<typeof setTimeout> | undefined;
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
    this.#writeGathered();
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
    const queued = this.#pipedOutput.queuedBytes + this.#gatheredBytes;
    if (queued + bytes.length > MAX_PIPED_OUTPUT_BYTES) return;
    this.#gathered.push(bytes);
    this.#gatheredBytes += bytes.length;
    this.#gatherTimer ??= setTimeout(
      () => this.#writeGathered(),
      PIPED_GATHER_MS,
    );
  }

  #writeGathered(): void {
    clearTimeout(this.#gatherTimer);
    this.#gatherTimer = undefined;
    // Lines encoded side by side were joined as they came: few runs, no copy.
    for (const run of this.#gathered.take()) this.#pipedOutput.send(run);
    this.#gatheredBytes = 0;
  }
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
