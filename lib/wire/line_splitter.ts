/**
 * Splits a byte stream into `\n`-terminated lines: the framing of chatlab.
 *
 * Lines are cut at the byte 0x0A before any decoding. No byte of a multi-byte
 * UTF-8 character can be 0x0A, so a character split across two reads is
 * always joined again before it is decoded: nothing is ever garbled.
 *
 * @module
 */

import { concatBytes } from "./concat_bytes.ts";

/** The largest message, in bytes of UTF-8, excluding the line end: the lesson's `recv(1024)`. */
export const MAX_LINE_BYTES = 1024;

/** The most bytes the splitter will see without a line end before it says so. */
export const MAX_UNTERMINATED_BYTES = 16 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

/** Options for {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /**
   * The longest line accepted, in bytes, excluding `\n` (and a `\r` before it).
   *
   * @default {1024}
   */
  maxLineBytes?: number;
}

/** A complete line, decoded; invalid UTF-8 has become U+FFFD. */
export interface LineFrame {
  /** What kind of frame this is. */
  kind: "line";
  /** The line's text, without its line end. */
  text: string;
}

/** A line that was longer than the limit; its bytes were dropped, not split. */
export interface OversizeFrame {
  /** What kind of frame this is. */
  kind: "oversize";
  /** How many bytes the whole line had, excluding its line end. */
  bytes: number;
}

/** What {@linkcode LineSplitter.push} gives back. */
export type Frame = LineFrame | OversizeFrame;

/**
 * One decoder for every splitter: it decodes whole lines only (no `stream`
 * state), and a room holds a splitter per member.
 */
const DECODER = new TextDecoder();

/** Reassembles lines from chunks of bytes, however the network cut them. */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  /** Bytes of the current line seen so far, kept or dropped. */
  #lineBytes = 0;
  /** Whether the current line's last byte so far is CR (dropped before LF). */
  #endsWithCr = false;

  /** Makes a splitter with the given limit. */
  constructor(options: LineSplitterOptions = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    if (!Number.isInteger(this.#maxLineBytes) || this.#maxLineBytes < 1) {
      throw new RangeError(
        `Cannot make a line splitter: maxLineBytes must be a positive integer, got "${this.#maxLineBytes}"`,
      );
    }
  }

  /** How many bytes have arrived since the last line end. */
  get bytesWithoutLineEnd(): number {
    return this.#lineBytes;
  }

  /** The longest line accepted, in bytes. */
  get maxLineBytes(): number {
    return this.#maxLineBytes;
  }

  /**
   * Takes the next chunk and returns the frames it completes. The chunk is
   * copied where needed, so the caller may reuse its read buffer.
   */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    let end = chunk.indexOf(LF);
    if (end !== -1 && this.#lineBytes !== 0) {
      // The end of a line cut across reads.
      frames.push(this.#endLine(chunk.subarray(0, end)));
      start = end + 1;
      end = chunk.indexOf(LF, start);
    }
    // Whole lines inside the chunk (the usual case) are decoded from it
    // directly; the parts are only for lines cut across reads.
    const first = start;
    let fit = true;
    while (end !== -1) {
      if (end - start > this.#maxLineBytes) fit = false;
      start = end + 1;
      end = chunk.indexOf(LF, start);
    }
    if (start > first) {
      if (fit) this.#decodeLines(chunk.subarray(first, start - 1), frames);
      else this.#eachLine(chunk.subarray(first, start), frames);
    }
    // The rest outlives this call (the caller reuses its buffer): copy it.
    if (start < chunk.length) this.#keep(chunk.subarray(start), true);
    return frames;
  }

  /**
   * Ends the current line without a line end (the stream ended, or the peer
   * is one of the lesson's programs that never send `\n`). Returns `null`
   * when nothing was pending.
   */
  flush(): Frame | null {
    if (this.#lineBytes === 0) return null;
    return this.#finishLine();
  }

  #endLine(bytes: Uint8Array): Frame {
    this.#keep(bytes, false);
    return this.#finishLine();
  }

  /**
   * The lines in `bytes` (lines without their last `\n`), none over the
   * limit, in one call to the decoder: the bytes of a line end are never
   * part of a character, so the text splits where the bytes would.
   */
  #decodeLines(bytes: Uint8Array, frames: Frame[]): void {
    for (let text of DECODER.decode(bytes).split("\n")) {
      if (text.endsWith("\r")) text = text.slice(0, -1);
      // As decoding each line alone would: a byte order mark opening a
      // line is dropped (the decoder drops only the first one it sees).
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
      frames.push({ kind: "line", text });
    }
  }

  /** The lines in `bytes` (each with its `\n`), one by one, as limits need. */
  #eachLine(bytes: Uint8Array, frames: Frame[]): void {
    let start = 0;
    for (let end; (end = bytes.indexOf(LF, start)) !== -1; start = end + 1) {
      frames.push(this.#endLine(bytes.subarray(start, end)));
    }
  }

  /** Counts `bytes` into the current line; stores them (a copy if asked) while under the limit. */
  #keep(bytes: Uint8Array, copy: boolean): void {
    if (bytes.length > 0) this.#endsWithCr = bytes[bytes.length - 1] === CR;
    this.#lineBytes += bytes.length;
    // Over the limit, keep counting but stop storing: memory stays bounded.
    if (this.#lineBytes > this.#maxLineBytes + 1) {
      this.#parts = [];
      this.#partBytes = 0;
      return;
    }
    if (bytes.length > 0) {
      this.#parts.push(copy ? bytes.slice() : bytes);
      this.#partBytes += bytes.length;
    }
  }

  #finishLine(): Frame {
    const hasCr = this.#endsWithCr;
    const bytes = this.#lineBytes - (hasCr ? 1 : 0);
    const line = this.#takeParts();
    this.#lineBytes = 0;
    this.#endsWithCr = false;
    if (line === null || bytes > this.#maxLineBytes) {
      return { kind: "oversize", bytes };
    }
    const text = DECODER.decode(hasCr ? line.subarray(0, bytes) : line);
    return { kind: "line", text };
  }

  /** Joins the stored parts; `null` when the line went over the limit. */
  #takeParts(): Uint8Array | null {
    const parts = this.#parts;
    const size = this.#partBytes;
    this.#parts = [];
    this.#partBytes = 0;
    if (size !== this.#lineBytes) return null;
    return concatBytes(parts, size);
  }
}
