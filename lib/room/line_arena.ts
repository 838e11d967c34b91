/**
 * Encodes the room's message lines into big shared chunks instead of one
 * new buffer each: a busy room makes hundreds of thousands of lines a
 * second, and a buffer of its own per line cost an allocation outside V8's
 * heap (and its freeing) every time. Lines encoded one after another lie
 * side by side in a chunk, so a receiver's queue joins them into one write
 * without copying (`pending_runs.ts`).
 *
 * @module
 */

import { concatBytes } from "../wire/concat_bytes.ts";

/** Bytes per chunk; a line that might not fit gets a buffer of its own. */
export const ARENA_CHUNK_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const LF = 0x0a;
/** Prefixes kept encoded (`<alice> `); past this many, the cache starts again. */
const MAX_PREFIXES = 1024;
/** Text up to this long is copied when it is printable ASCII (`copyPrintableAscii`). */
const MAX_ASCII_COPY = 256;
const TAB = 0x09;
const SPACE = 0x20;
const DEL = 0x7f;

/** Where lines are encoded: append-only chunks, never written twice. */
export class LineArena {
  readonly #chunkBytes: number;
  #chunk: Uint8Array;
  #used = 0;
  /** `<name> ` and `* name `, encoded, by name. */
  readonly #prefixes = {
    say: new Map<string, Uint8Array>(),
    action: new Map<string, Uint8Array>(),
  };

  /** Makes an arena of `chunkBytes` chunks. */
  constructor(chunkBytes: number = ARENA_CHUNK_BYTES) {
    this.#chunkBytes = chunkBytes;
    this.#chunk = new Uint8Array(chunkBytes);
  }

  /**
   * The UTF-8 bytes of a message line, `<name> text\n` (`say`) or
   * `* name text\n` (`action`), as a view of the current chunk, with
   * `text` made safe by `makeSafe` first. The bytes never change: the part
   * of a chunk that was handed out is not written again. Each name's
   * prefix is encoded once; printable ASCII text (most chat), which
   * nothing needs to be made safe in and is one byte a character, is
   * copied without a call into the runtime or a string made for the line.
   */
  encodeLine(
    kind: "say" | "action",
    name: string,
    text: string,
    makeSafe: (text: string) => string,
  ): Uint8Array {
    const head = this.#prefixBytes(kind, name);
    if (text.length <= MAX_ASCII_COPY) {
      const start = this.#room(head.length + text.length + 1);
      const chunk = this.#chunk;
      chunk.set(head, start);
      const length = copyPrintableAscii(text, chunk, start + head.length);
      if (length !== undefined) {
        return this.#endLine(start + head.length + length);
      }
    }
    const safe = makeSafe(text);
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const most = head.length + safe.length * 3 + 1;
    if (most > this.#chunkBytes) {
      const body = encoder.encode(safe + "\n");
      return concatBytes([head, body], head.length + body.length);
    }
    const start = this.#room(most);
    const chunk = this.#chunk;
    chunk.set(head, start);
    const textStart = start + head.length;
    const { written } = encoder.encodeInto(safe, chunk.subarray(textStart));
    return this.#endLine(textStart + written);
  }

  /** Where `bytes` more can go: the current chunk, or a new one. */
  #room(bytes: number): number {
    if (this.#used + bytes > this.#chunkBytes) {
      this.#chunk = new Uint8Array(this.#chunkBytes);
      this.#used = 0;
    }
    return this.#used;
  }

  /** Ends the line begun at `#used` with `\n` at `end`, and hands it out. */
  #endLine(end: number): Uint8Array {
    const start = this.#used;
    this.#chunk[end] = LF;
    this.#used = end + 1;
    return this.#chunk.subarray(start, this.#used);
  }

  #prefixBytes(kind: "say" | "action", name: string): Uint8Array {
    const prefixes = this.#prefixes[kind];
    let bytes = prefixes.get(name);
    if (bytes === undefined) {
      if (prefixes.size >= MAX_PREFIXES) prefixes.clear();
      bytes = encoder.encode(kind === "say" ? `<${name}> ` : `* ${name} `);
      prefixes.set(name, bytes);
    }
    return bytes;
  }
}

/**
 * Writes `text` at `offset` when it is all printable ASCII or tabs, where
 * UTF-8 is one byte per character; returns how many bytes, or `undefined`
 * (and what it wrote does not count) at the first character that is not.
 */
function copyPrintableAscii(
  text: string,
  bytes: Uint8Array,
  offset: number,
): number | undefined {
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const unit = text.charCodeAt(index);
    if ((unit < SPACE && unit !== TAB) || unit >= DEL) return undefined;
    bytes[offset + index] = unit;
  }
  return length;
}

/** The arena the room's message lines are encoded in. */
export const messageLines: LineArena = new LineArena();
