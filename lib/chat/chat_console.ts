/**
 * The keyboard and screen of a free-running chat. Incoming lines appear at
 * once; in a terminal they are printed above the line being typed, and the
 * half-typed input is drawn again under them, so nothing is ever clobbered.
 * With piped stdin it is plain lines in, plain lines out, like the lesson.
 *
 * @module
 */

import { type Frame, MAX_LINE_BYTES } from "../wire/line_splitter.ts";
import { LineReader } from "../wire/line_reader.ts";
import { Outbox } from "../room/outbox.ts";

/** Control Sequence Introducer: starts a terminal command. */
const CSI = "\x1b[";
/** Erases the whole line the cursor is on. */
const ERASE_LINE = `${CSI}2K`;
/** Moves the cursor to the start of the line. */
const CARRIAGE_RETURN = "\r";
const NEWLINE = "\r\n";
const ESC = "\x1b";
const CTRL_C = "\x03";
const CTRL_D = "\x04";
const CTRL_U = "\x15";
const BACKSPACE = "\x08";
const DELETE = "\x7f";
const ENTER = "\r";
const LINE_FEED = "\n";

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
   * The longest line that can be typed, in bytes.
   *
   * @default {1024}
   */
  maxLineBytes?: number;
}

/** Reads what the user types and shows what arrives, without mixing them up. */
export class ChatConsole {
  readonly #prompt: string;
  readonly #maxLineBytes: number;
  readonly #terminal = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  readonly #pipedOutput = new Outbox(Deno.stdout, {
    maxQueuedBytes: Infinity,
  });
  #typed = "";

  /** Makes a console on this process's stdin and stdout. */
  constructor(options: ChatConsoleOptions = {}) {
    this.#prompt = options.prompt ?? "You: ";
    this.#maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  }

  /** Shows one incoming line (already made safe for the terminal). */
  show(line: string): void {
    if (!this.#terminal) {
      this.#sendPiped(encoder.encode(line + "\n"));
      return;
    }
    this.#draw(
      `${CARRIAGE_RETURN}${ERASE_LINE}${line}${NEWLINE}${this.#inputLine()}`,
    );
  }

  /** Shows bytes that are already one or more safe, `\n`-terminated lines. */
  showBytes(bytes: Uint8Array): void {
    if (!this.#terminal) {
      this.#sendPiped(bytes);
      return;
    }
    const text = new TextDecoder().decode(bytes).replace(/\n$/, "");
    for (const line of text.split("\n")) this.show(line);
  }

  /** Resolves once every line shown so far has been written. */
  async flush(): Promise<void> {
    await this.#pipedOutput.drained();
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
    Deno.stdin.setRaw(true, { cbreak: true });
    try {
      this.#draw(this.#inputLine());
      yield* this.#editLines();
    } finally {
      Deno.stdin.setRaw(false);
    }
  }

  /** Turns keystrokes into lines, echoing them on the input line. */
  async *#editLines(): AsyncGenerator<Frame> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(1024);
    let pendingEscape = "";
    while (true) {
      const count = await Deno.stdin.read(buffer);
      if (count === null) return;
      const keys = pendingEscape +
        decoder.decode(buffer.subarray(0, count), { stream: true });
      pendingEscape = "";
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (key === ENTER || key === LINE_FEED) {
          yield this.#submit();
        } else if (key === CTRL_D && this.#typed === "") {
          this.#draw(NEWLINE);
          return;
        } else if (key === CTRL_C) {
          // cbreak mode normally turns this into SIGINT; if not, end input.
          this.#draw(NEWLINE);
          return;
        } else if (key === DELETE || key === BACKSPACE) {
          this.#typed = Array.from(this.#typed).slice(0, -1).join("");
        } else if (key === CTRL_U) {
          this.#typed = "";
        } else if (key === ESC) {
          const end = escapeSequenceEnd(keys, i);
          if (end === -1) {
            pendingEscape = keys.slice(i);
            break;
          }
          i = end; // Arrow keys and the like: not supported, ignored.
        } else if (key >= " ") {
          this.#typed += key;
        }
      }
      this.#draw(`${CARRIAGE_RETURN}${ERASE_LINE}${this.#inputLine()}`);
    }
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

  #submit(): Frame {
    const text = this.#typed;
    // Keys that came in one read were not drawn yet: leave the whole line
    // on screen, as typed, before moving on.
    this.#draw(`${CARRIAGE_RETURN}${ERASE_LINE}${this.#inputLine()}${NEWLINE}`);
    this.#typed = "";
    const bytes = encoder.encode(text).length;
    return bytes > this.#maxLineBytes
      ? { kind: "oversize", bytes }
      : { kind: "line", text };
  }

  #inputLine(): string {
    return this.#prompt + this.#typed;
  }

  #draw(text: string): void {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) {
      written += Deno.stdout.writeSync(bytes.subarray(written));
    }
  }
}

/** Index of the last character of the escape sequence starting at `start`, or -1 if incomplete. */
function escapeSequenceEnd(keys: string, start: number): number {
  if (start + 1 >= keys.length) return -1;
  if (keys[start + 1] !== "[" && keys[start + 1] !== "O") return start + 1;
  for (let i = start + 2; i < keys.length; i++) {
    const code = keys.charCodeAt(i);
    if (code >= 0x40 && code <= 0x7e) return i;
  }
  return -1;
}
