/**
 * Reads lines from a connection or from stdin, 1024 bytes at a time.
 *
 * @module
 */

import { type Frame, LineSplitter, MAX_LINE_BYTES } from "./line_splitter.ts";
import { within } from "./within.ts";

/** How many bytes one `read()` asks for: the lesson's `recv(1024)`. */
export const READ_SIZE = 1024;

/**
 * How long a reader waits for the rest of a message that came without `\n`
 * before taking it as whole. The lesson's Python programs never send `\n`:
 * each `send()` is one message, and then they wait for our answer.
 */
export const UNTERMINATED_MESSAGE_WAIT_MS = 250;

/** Anything with Deno's `read()`: a `Deno.Conn`, `Deno.stdin`. */
export interface ByteSource {
  /** Reads into `p`; resolves to the byte count, or `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Options for {@linkcode LineReader}. */
export interface LineReaderOptions {
  /**
   * The longest line accepted, in bytes; a longer one is reported, not split.
   *
   * @default {1024}
   */
  maxLineBytes?: number;
  /**
   * Refuse a peer whose first bytes are a TLS record: it is talking TLS to
   * a side that is not, and its bytes would only print as junk.
   *
   * @default {false}
   */
  refuseTls?: boolean;
}

/** Options for {@linkcode LineReader.readMessage}. */
export interface ReadMessageOptions {
  /**
   * After this many quiet milliseconds, bytes without a line end count as a
   * whole message (the lesson's unterminated style).
   *
   * @default {250}
   */
  unterminatedWaitMs?: number;
}

/** Pulls frames (lines, or oversize reports) from a byte source. */
export class LineReader {
  readonly #source: ByteSource;
  readonly #splitter: LineSplitter;
  readonly #buffer = new Uint8Array(READ_SIZE);
  #frames: Frame[] = [];
  #pendingRead: Promise<number | null> | null = null;
  #ended = false;
  #checkForTls: boolean;

  /** Reads from `source`. */
  constructor(source: ByteSource, options: LineReaderOptions = {}) {
    this.#source = source;
    this.#splitter = new LineSplitter({
      maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
    });
    this.#checkForTls = options.refuseTls ?? false;
  }

  /**
   * The next `\n`-terminated frame. At end of stream, a last line without
   * `\n` is returned too; after that, `null`.
   */
  async readFrame(): Promise<Frame | null> {
    while (this.#frames.length === 0) {
      if (this.#ended) return null;
      await this.#readOnce(this.#read());
    }
    return this.#frames.shift()!;
  }

  /**
   * The next message in take-turns mode: a `\n`-terminated line, or bytes
   * without `\n` after which the peer went quiet (see
   * {@linkcode UNTERMINATED_MESSAGE_WAIT_MS}).
   */
  async readMessage(options: ReadMessageOptions = {}): Promise<Frame | null> {
    const waitMs = options.unterminatedWaitMs ?? UNTERMINATED_MESSAGE_WAIT_MS;
    while (this.#frames.length === 0) {
      if (this.#ended) return null;
      const read = this.#read();
      if (this.#splitter.bytesWithoutLineEnd === 0) {
        await this.#readOnce(read);
        continue;
      }
      // A read that fails counts as settled: #readOnce reports it.
      const settled = read.then(() => true, () => true);
      if (await within(settled, waitMs)) {
        await this.#readOnce(read);
        continue;
      }
      const frame = this.#splitter.flush();
      if (frame) this.#frames.push(frame);
    }
    return this.#frames.shift()!;
  }

  /** One outstanding read at a time; a read that outlives a wait is reused. */
  #read(): Promise<number | null> {
    this.#pendingRead ??= this.#source.read(this.#buffer).catch(endIfPeerGone);
    return this.#pendingRead;
  }

  async #readOnce(read: Promise<number | null>): Promise<void> {
    const count = await read;
    this.#pendingRead = null;
    if (count === null) {
      this.#ended = true;
      const last = this.#splitter.flush();
      if (last) this.#frames.push(last);
      return;
    }
    const chunk = this.#buffer.subarray(0, count);
    if (this.#checkForTls && count > 0) {
      this.#checkForTls = false;
      if (isTlsRecord(chunk)) {
        throw new Error(
          "The other side is using TLS and this side is not: add --tls to the client, or drop --tls-cert from the server",
        );
      }
    }
    this.#frames.push(...this.#splitter.push(chunk));
  }
}

/** TLS record types a peer opens with: a handshake (ClientHello) or an alert. */
const TLS_HANDSHAKE = 0x16;
const TLS_ALERT = 0x15;
/** The major version byte of every TLS record (SSL 3.0 to TLS 1.3). */
const TLS_MAJOR_VERSION = 0x03;

/** Whether `bytes` start like a TLS record, which no text line does. */
function isTlsRecord(bytes: Uint8Array): boolean {
  return bytes.length >= 2 &&
    (bytes[0] === TLS_HANDSHAKE || bytes[0] === TLS_ALERT) &&
    bytes[1] === TLS_MAJOR_VERSION;
}

/** A peer that vanished (reset, abort) has closed the stream too: read as the end. */
function endIfPeerGone(error: unknown): null {
  if (isPeerGone(error)) return null;
  throw error;
}

/** Whether `error` means the other side is gone: reset, aborted, or a broken pipe. */
export function isPeerGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe;
}
