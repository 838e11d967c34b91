/**
 * The wire view: every `read()` and `write()` on a connection, as a line a
 * student can read, so the stream's real pieces show. Line ends, control
 * bytes and bytes that are not whole UTF-8 characters are shown visibly:
 *
 * ```text
 * ← read 19 bytes  │ hello\nhow are y
 * → wrote 6 bytes  │ hi\xc3\xa9\n
 * ```
 *
 * @module
 */

import { styleText } from "node:util";

/** Options for {@linkcode WireView}. */
export interface WireViewOptions {
  /**
   * Add a hex column (`--wire=hex`).
   *
   * @default {false}
   */
  hex?: boolean;
  /**
   * Colour the lines (only when a terminal shows them, and not with `NO_COLOR`).
   *
   * @default {false}
   */
  color?: boolean;
  /**
   * Put in front of every line (the proxy names its connection and side).
   *
   * @default {""}
   */
  prefix?: string;
  /**
   * Where each line goes.
   *
   * @default {a line on stderr}
   */
  print?: (line: string) => void;
}

/** What happened on the wire, for {@linkcode WireView.event}. */
export type WireEvent =
  | "end"
  | "closed writing"
  | "closed"
  | "reset";

/** Bytes per row of the text column; longer reads continue on more rows. */
export const TEXT_ROW_BYTES = 64;
/** Bytes per row when the hex column is shown. */
export const HEX_ROW_BYTES = 16;

const encoder = new TextEncoder();

/** Shows reads and writes as lines (see the module doc). */
export class WireView {
  readonly #hex: boolean;
  readonly #color: boolean;
  readonly #prefix: string;
  readonly #print: (line: string) => void;

  /** Makes a view; nothing is printed until a read or write is shown. */
  constructor(options: WireViewOptions = {}) {
    this.#hex = options.hex ?? false;
    this.#color = options.color ?? false;
    this.#prefix = options.prefix ?? "";
    this.#print = options.print ?? printToStderr;
  }

  /** Shows one `read()` that returned `bytes`. */
  read(bytes: Uint8Array): void {
    this.#show("←", `read ${countBytes(bytes.length)}`, bytes, "cyan");
  }

  /** Shows one `write()` that wrote `bytes`. */
  wrote(bytes: Uint8Array): void {
    this.#show("→", `wrote ${countBytes(bytes.length)}`, bytes, "yellow");
  }

  /** Shows the end of the stream, a half-close, a close or a reset. */
  event(event: WireEvent, detail?: string): void {
    const words: Record<WireEvent, [string, string]> = {
      end: ["←", "end: the other side closed its sending half"],
      "closed writing": ["→", "closed writing (sent the end)"],
      closed: ["×", "closed"],
      reset: ["×", "reset"],
    };
    const [arrow, text] = words[event];
    const line = `${arrow} ${text}${detail ? ` (${detail})` : ""}`;
    this.#print(this.#prefix + this.#style("dim", line));
  }

  #show(
    arrow: string,
    label: string,
    bytes: Uint8Array,
    color: "cyan" | "yellow",
  ): void {
    const head = `${arrow} ${label}`.padEnd(17);
    const blank = " ".repeat(head.length);
    const rows = splitRows(
      visibleTokens(bytes),
      this.#hex ? HEX_ROW_BYTES : TEXT_ROW_BYTES,
    );
    if (rows.length === 0) rows.push([]);
    rows.forEach((row, i) => {
      const text = row.map((token) =>
        token.escaped ? this.#style("magenta", token.text) : token.text
      ).join("");
      const hex = this.#hex
        ? hexColumn(row).padEnd(HEX_ROW_BYTES * 3 - 1) + " │ "
        : "";
      this.#print(
        this.#prefix + this.#style(color, i === 0 ? head : blank) + " │ " +
          hex + text,
      );
    });
  }

  #style(format: "cyan" | "yellow" | "magenta" | "dim", text: string): string {
    // validateStream: false, or styleText reads NO_COLOR, TERM and more from
    // the environment, which a run without --allow-env answers with a prompt.
    return this.#color
      ? styleText(format, text, { validateStream: false })
      : text;
  }
}

/** One character of the view: its bytes and how it is shown. */
export interface VisibleToken {
  /** The bytes it stands for. */
  bytes: Uint8Array;
  /** How it is shown. */
  text: string;
  /** Whether it is an escape (`\n`, `\x00`) rather than the character itself. */
  escaped: boolean;
}

/**
 * `bytes` as tokens: printable ASCII as itself; `\n`, `\r`, `\t` and `\\`
 * escaped; other control bytes and any byte that is not part of a whole,
 * printable UTF-8 character in `bytes` (a character cut between two reads) as
 * `\xNN`; whole invisible or reordering characters as `\u{NNNN}`.
 */
export function visibleTokens(bytes: Uint8Array): VisibleToken[] {
  const tokens: VisibleToken[] = [];
  for (let i = 0; i < bytes.length;) {
    const byte = bytes[i];
    const length = byte < 0x80 ? 1 : utf8Length(bytes, i);
    const piece = bytes.subarray(i, i + Math.max(length, 1));
    tokens.push(
      length === 0 ? escapeByte(byte) : showCharacter(piece),
    );
    i += piece.length;
  }
  return tokens;
}

/** The visible text of `bytes` (the tokens joined). */
export function visibleText(bytes: Uint8Array): string {
  return visibleTokens(bytes).map((token) => token.text).join("");
}

/** `1 byte`, `19 bytes`. */
function countBytes(count: number): string {
  return count === 1 ? "1 byte" : `${count} bytes`;
}

function showCharacter(bytes: Uint8Array): VisibleToken {
  if (bytes.length === 1) {
    const byte = bytes[0];
    const named: Record<number, string> = {
      0x0a: "\\n",
      0x0d: "\\r",
      0x09: "\\t",
      0x5c: "\\\\",
    };
    if (named[byte]) return { bytes, text: named[byte], escaped: true };
    if (byte < 0x20 || byte === 0x7f) return escapeByte(byte);
    return { bytes, text: String.fromCharCode(byte), escaped: false };
  }
  const text = new TextDecoder().decode(bytes);
  const codePoint = text.codePointAt(0)!;
  // Controls, bidi and other format characters, separators other than the
  // space, private use: shown by number, never obeyed by the terminal.
  if (/[\p{C}\p{Zl}\p{Zp}]/u.test(text)) {
    return {
      bytes,
      text: `\\u{${codePoint.toString(16).padStart(4, "0")}}`,
      escaped: true,
    };
  }
  return { bytes, text, escaped: false };
}

function escapeByte(byte: number): VisibleToken {
  return {
    bytes: Uint8Array.of(byte),
    text: `\\x${byte.toString(16).padStart(2, "0")}`,
    escaped: true,
  };
}

/**
 * The length of the well-formed UTF-8 character starting at `i` (2 to 4),
 * or 0 when the bytes there are not one (a cut or invalid character).
 */
function utf8Length(bytes: Uint8Array, i: number): number {
  const byte = bytes[i];
  const length = byte >= 0xc2 && byte <= 0xdf
    ? 2
    : byte >= 0xe0 && byte <= 0xef
    ? 3
    : byte >= 0xf0 && byte <= 0xf4
    ? 4
    : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(i, i + length),
    );
  } catch {
    return 0;
  }
  return length;
}

/** Packs tokens into rows of at most `rowBytes` bytes, never cutting one. */
function splitRows(tokens: VisibleToken[], rowBytes: number): VisibleToken[][] {
  const rows: VisibleToken[][] = [];
  let row: VisibleToken[] = [];
  let size = 0;
  for (const token of tokens) {
    if (size + token.bytes.length > rowBytes && row.length > 0) {
      rows.push(row);
      row = [];
      size = 0;
    }
    row.push(token);
    size += token.bytes.length;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

function hexColumn(row: VisibleToken[]): string {
  return row.flatMap((token) => [...token.bytes])
    .map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

function printToStderr(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stderr.writeSync(bytes.subarray(written));
  }
}

/**
 * Whether the wire view may use colour: stderr is a terminal and `NO_COLOR`
 * is not set. Deno reads `NO_COLOR` at start-up (`Deno.noColor`), so this
 * needs no permission.
 */
export function wireColor(): boolean {
  return Deno.stderr.isTerminal() && !Deno.noColor;
}
