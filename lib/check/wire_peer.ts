/**
 * The checker's end of a take-turns connection: it writes a message in
 * exactly the pieces a check asks for (one write each, Nagle off, with
 * pauses between), and collects every byte the program sends.
 *
 * @module
 */

import { concatBytes } from "../wire/concat_bytes.ts";
import { setNoDelay } from "../cli/network.ts";

/** One piece of a delivery: bytes written in one `write()`, or a pause. */
export type Piece = Uint8Array | { pauseMs: number };

const encoder = new TextEncoder();

/** Text as one piece of UTF-8. */
export function text(value: string): Uint8Array {
  return encoder.encode(value);
}

/** A pause between two writes, long enough for the reader to read twice. */
export function pause(ms: number): Piece {
  return { pauseMs: ms };
}

/** A connection to the student's program, seen from the checker. */
export class WirePeer {
  readonly #conn: Deno.Conn;
  readonly #chunks: Uint8Array[] = [];
  readonly #reading: Promise<void>;
  #ended = false;
  #mark = 0;
  #wake: (() => void)[] = [];

  /** Wraps `conn` and starts collecting what the program sends. */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    setNoDelay(conn);
    this.#reading = this.#collect();
  }

  /** Whether the program closed (or reset) the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Everything received since the last {@linkcode WirePeer.take}, as text. */
  get pending(): string {
    return new TextDecoder().decode(this.#all().subarray(this.#mark));
  }

  /** Writes each piece with its own `write()`, pausing where asked. */
  async deliver(pieces: Piece[]): Promise<void> {
    for (const piece of pieces) {
      if (piece instanceof Uint8Array) {
        let written = 0;
        while (written < piece.length) {
          written += await this.#conn.write(piece.subarray(written));
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, piece.pauseMs));
      }
    }
  }

  /**
   * Waits up to `ms` until what arrived since the last take contains
   * `expected`; then takes it (and what came before it). Returns whether it
   * arrived.
   */
  async take(expected: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (true) {
      const received = this.pending;
      const at = received.indexOf(expected);
      if (at >= 0) {
        const upTo = received.slice(0, at + expected.length);
        this.#mark += encoder.encode(upTo).length;
        return true;
      }
      const left = deadline - Date.now();
      if (this.#ended || left <= 0) return false;
      await this.#changed(left);
    }
  }

  /** Waits up to `ms` for the program to close its end. */
  async waitForEnd(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.#ended && Date.now() < deadline) {
      await this.#changed(deadline - Date.now());
    }
    return this.#ended;
  }

  /** Closes the checker's end (the program sees the other side leave). */
  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
    await this.#reading;
  }

  #all(): Uint8Array {
    const size = this.#chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    return concatBytes(this.#chunks, size);
  }

  #changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async #collect(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const count = await this.#conn.read(buffer);
        if (count === null) break;
        this.#chunks.push(buffer.slice(0, count));
        this.#notify();
      }
    } catch {
      // Reset by the program, or closed by us: either way, the end.
    }
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const waiting = this.#wake;
    this.#wake = [];
    for (const wake of waiting) wake();
  }
}
