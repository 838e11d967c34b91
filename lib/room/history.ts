/**
 * The room's messages: each gets the next id as it is said, and the last
 * few are kept for newcomers. A store (SQLite) would start `lastId` from
 * what it holds and fill `recent` on start.
 *
 * @module
 */

import type { RoomMessage } from "./room_options.ts";
import * as wire from "./wire.ts";

/** Numbers messages and keeps the last `size` of them. */
export class History {
  readonly #size: number;
  readonly #recent: RoomMessage[] = [];
  #lastId: number;

  /** Keeps `size` messages; ids go on from `lastId`. */
  constructor(size: number, lastId = 0) {
    this.#size = size;
    this.#lastId = lastId;
  }

  /** The kept messages, oldest first. */
  get recent(): readonly RoomMessage[] {
    return this.#recent;
  }

  /** Makes the next message (with its id and wire line), not yet kept. */
  next(kind: RoomMessage["kind"], from: string, text: string): RoomMessage {
    const line = kind === "say"
      ? wire.chatLine(from, text)
      : wire.actionLine(from, text);
    return { id: ++this.#lastId, kind, from, text, line };
  }

  /** Keeps `message`, forgetting the oldest past the size. */
  keep(message: RoomMessage): void {
    this.#recent.push(message);
    if (this.#recent.length > this.#size) this.#recent.shift();
  }
}
