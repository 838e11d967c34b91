/**
 * A browser's WebSocket as the sink of a room `Outbox`, so that a
 * browser gets the same queue, limits and stall rule as a TCP client: a
 * write sends its JSON lines in one frame and resolves only once the browser
 * has taken most of what was buffered for it. A WebSocket has no "drain"
 * event, so `bufferedAmount` is looked at every few milliseconds while it
 * is high.
 *
 * @module
 */

import type { ByteSink } from "../wire/write_all.ts";

/** What may stay buffered in the socket before a write counts as done. */
export const WS_LOW_WATER_BYTES = 64 * 1024;

/** How often a full socket's `bufferedAmount` is looked at, in ms. */
export const WS_POLL_MS = 5;

const decoder = new TextDecoder();

/**
 * Writes `\n`-terminated JSON lines to `socket`, all that is queued in one
 * text frame, one object per line (JSON text never holds a raw `\n`, so the
 * page splits them exactly).
 */
export class WsSink implements ByteSink {
  readonly #socket: WebSocket;
  /** Bytes of the frame last sent that are not yet reported as written. */
  #unreported = 0;

  /** Writes to `socket`. */
  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  /**
   * Sends `bytes` as one frame (unless it is the rest of the frame already
   * sent), then waits until the socket has taken some of its buffer; returns
   * how much, so that a browser that reads slowly, but reads, is seen to.
   */
  async write(bytes: Uint8Array): Promise<number> {
    this.#checkOpen();
    if (this.#unreported === 0) {
      // One frame for all that is queued: a frame costs far more than a line.
      this.#socket.send(decoder.decode(bytes.subarray(0, bytes.length - 1)));
      this.#unreported = bytes.length;
    }
    const before = this.#socket.bufferedAmount;
    while (
      this.#socket.bufferedAmount > WS_LOW_WATER_BYTES &&
      this.#socket.bufferedAmount >= before
    ) {
      await new Promise((resolve) => setTimeout(resolve, WS_POLL_MS));
      this.#checkOpen();
    }
    const buffered = this.#socket.bufferedAmount;
    const taken = buffered <= WS_LOW_WATER_BYTES
      ? this.#unreported
      : Math.max(1, Math.min(this.#unreported, before - buffered));
    this.#unreported -= taken;
    return taken;
  }

  #checkOpen(): void {
    if (this.#socket.readyState !== WebSocket.OPEN) {
      throw new Deno.errors.BrokenPipe("The WebSocket is closed");
    }
  }
}

const encoder = new TextEncoder();

/** `event` as one JSON line, ready for an `Outbox`. */
export function jsonLine(event: object): Uint8Array {
  return encoder.encode(JSON.stringify(event) + "\n");
}
