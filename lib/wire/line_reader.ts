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
 * How long a reader waits for the rest of a message without `\n` when more of
 * it may follow (see {@linkcode LineReader.readMessage}) before taking what
 * came as whole.
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
   * When more of a message without a line end may follow, how many quiet
   * milliseconds end it.
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
  /** The peer has ended a line with `\n`: it is no lesson program. */
  #peerEndsLines = false;
  /** The bytes without `\n` began in, or came after, a read that filled the buffer. */
  #pendingFilledARead = false;
  /** The stream ended with an error (a reset), not with the peer's end. */
  #cutOff = false;
  /** Reads the source has finished, and reads taken into the splitter. */
  #readsDone = 0;
  #readsTaken = 0;
  /** How many reads had finished when this side last sent a message, or -1. */
  #answerBoundary = -1;
  /** Ends a wait for more of a message early: this side sent one. */
  #wakeWait: (() => void) | null = null;
  /** A message was taken without `\n`: the peer may be a lesson program. */
  #peerSentBareMessage = false;
  /** A message was just taken without its `\n`: a `\n` next ends it. */
  #tookUnterminated = false;

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
   * The next message in take-turns mode. A `\n` ends a message. Bytes
   * without `\n` at the end of a read are a whole message, as one
   * `recv(1024)` is to the lesson's programs, unless more of it may follow:
   * the read filled the whole 1024-byte buffer (this message did, at any
   * read), the peer has ended a line with `\n` before (it sends lines, and
   * this one is not finished), or the peer has not yet shown which kind it
   * is (its first message). Then it is joined with what comes until a `\n`,
   * until this side sends a message ({@linkcode messageSent}), or until the
   * peer is quiet for {@linkcode UNTERMINATED_MESSAGE_WAIT_MS}. A `\n` that
   * comes first after a message taken without one is that message's end, not
   * an empty message.
   */
  async readMessage(options: ReadMessageOptions = {}): Promise<Frame | null> {
    const waitMs = options.unterminatedWaitMs ?? UNTERMINATED_MESSAGE_WAIT_MS;
    while (this.#frames.length === 0) {
      if (this.#ended) return null;
      this.#applyAnswer();
      if (this.#frames.length > 0) break;
      if (this.#splitter.bytesWithoutLineEnd === 0) {
        await this.#readOnce(this.#read());
        continue;
      }
      if (this.#moreMayFollow()) {
        const read = this.#read();
        // A read that fails counts as settled: #readOnce reports it.
        const settled = read.then(() => "read" as const, () => "read" as const);
        const answered = new Promise<"answered">((resolve) => {
          this.#wakeWait = () => resolve("answered");
        });
        const outcome = await within(Promise.race([settled, answered]), waitMs);
        this.#wakeWait = null;
        if (outcome === "read") await this.#readOnce(read);
        if (outcome !== null) continue;
      }
      this.#takeUnterminated();
    }
    return this.#frames.shift()!;
  }

  /**
   * This side is about to send a message. A peer not known to end its lines
   * may be a lesson program, which sends one message and then waits for
   * ours: the bytes without `\n` that came before ours are all of its
   * message, and what comes after is the next one (the lesson's programs
   * both speak first, and answer within milliseconds).
   */
  messageSent(): void {
    if (this.#peerEndsLines) return;
    // Reads finished by now came before our message, even if not yet taken.
    this.#answerBoundary = this.#readsDone;
    this.#applyAnswer();
    this.#wakeWait?.();
  }

  /** Once every read from before our message is taken, ends its message. */
  #applyAnswer(): void {
    if (this.#answerBoundary < 0 || this.#readsTaken < this.#answerBoundary) {
      return;
    }
    this.#answerBoundary = -1;
    if (
      !this.#peerEndsLines && !this.#pendingFilledARead &&
      this.#splitter.bytesWithoutLineEnd > 0
    ) this.#takeUnterminated();
  }

  /** Whether bytes without `\n` may be only the start of their message. */
  #moreMayFollow(): boolean {
    // A first message is joined too: a line split by the network must not
    // pass for a lesson program's message without `\n`.
    return this.#pendingFilledARead || this.#peerEndsLines ||
      !this.#peerSentBareMessage;
  }

  /** Takes the bytes without `\n` as one whole message. */
  #takeUnterminated(): void {
    const frame = this.#splitter.flush();
    this.#pendingFilledARead = false;
    this.#peerSentBareMessage = true;
    if (frame === null) return;
    this.#frames.push(frame);
    this.#tookUnterminated = true;
  }

  /**
   * Starts reading now, without waiting: bytes that arrive meanwhile are read
   * as they come, and the next {@linkcode readFrame} or
   * {@linkcode readMessage} takes them. Take-turns mode calls this while it is
   * this side's turn, so a message the peer sent early (the lesson's programs
   * both speak first) is read apart from the one it sends after our answer.
   */
  prefetch(): void {
    if (this.#ended) return;
    // Marked as handled: the error, if any, still reaches the next reader of
    // this read; if nobody reads again (we hung up), it does not matter.
    this.#read().catch(() => null);
  }

  /** One outstanding read at a time; a read that outlives a wait is reused. */
  #read(): Promise<number | null> {
    this.#pendingRead ??= this.#source.read(this.#buffer).then((count) => {
      this.#readsDone++;
      return count;
    }, (error) => {
      const end = endIfPeerGone(error);
      this.#cutOff = true;
      return end;
    });
    return this.#pendingRead;
  }

  async #readOnce(read: Promise<number | null>): Promise<void> {
    const count = await read;
    this.#pendingRead = null;
    // A read from after our message: what was pending before it is whole.
    if (this.#answerBoundary >= 0 && this.#readsTaken >= this.#answerBoundary) {
      this.#applyAnswer();
    }
    this.#readsTaken++;
    if (count === null) {
      this.#ended = true;
      const last = this.#splitter.flush();
      // A peer that ends its lines and was cut off (a reset) mid-line sent
      // no last line: only part of one, which would show broken.
      const broken = this.#cutOff && this.#peerEndsLines;
      if (last && !broken) this.#frames.push(last);
      return;
    }
    let chunk = this.#buffer.subarray(0, count);
    if (this.#checkForTls && count > 0) {
      this.#checkForTls = false;
      if (isTlsRecord(chunk)) {
        throw new Error(
          "The other side is using TLS and this side is not: add --tls to the client, or drop --tls-cert from the server",
        );
      }
    }
    if (this.#tookUnterminated && count > 0) {
      this.#tookUnterminated = false;
      const lineEnd = lineEndLength(chunk);
      // The peer ends its lines after all, in a write of their own.
      if (lineEnd > 0) this.#peerEndsLines = true;
      chunk = chunk.subarray(lineEnd);
    }
    const frames = this.#splitter.push(chunk);
    if (frames.length > 0) this.#peerEndsLines = true;
    const pending = this.#splitter.bytesWithoutLineEnd > 0;
    this.#pendingFilledARead = pending &&
      (count === this.#buffer.length ||
        (this.#pendingFilledARead && frames.length === 0));
    this.#frames.push(...frames);
  }
}

/** How many bytes `chunk` starts with that end a line: 1 for `\n`, 2 for `\r\n`, else 0. */
function lineEndLength(chunk: Uint8Array): number {
  if (chunk[0] === LF) return 1;
  return chunk[0] === CR && chunk[1] === LF ? 2 : 0;
}

const LF = 0x0a;
const CR = 0x0d;

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
