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

  /** Writes to `socket`. */
  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  /** Sends every line of `bytes`; resolves once the socket has room again. */
  async write(bytes: Uint8Array): Promise<number> {
    this.#checkOpen();
    // One frame for all that is queued: a frame costs far more than a line.
    this.#socket.send(decoder.decode(bytes.subarray(0, bytes.length - 1)));
    while (this.#socket.bufferedAmount > WS_LOW_WATER_BYTES) {
      await new Promise((resolve) => setTimeout(resolve, WS_POLL_MS));
      this.#checkOpen();
    }
    return bytes.length;
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
