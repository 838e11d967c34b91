/**
 * The room's messages: each gets the next id as it is said, and the last
 * few are kept for newcomers. A store (SQLite) would start `lastId` from
 * what it holds and fill `recent` on start.
 *
 * @module
 */

import type { RestoredMessage, RoomMessage } from "./room_options.ts";
import * as wire from "./wire.ts";

/** Numbers messages and keeps the last `size` of them. */
export class History {
  readonly #size: number;
  readonly #recent: RoomMessage[] = [];
  #lastId: number;

  /** Keeps `size` messages; ids go on from `lastId`, after `restored`. */
  constructor(
    size: number,
    lastId = 0,
    restored: readonly RestoredMessage[] = [],
  ) {
    this.#size = size;
    this.#lastId = lastId;
    for (const { id, time, kind, from, text } of restored.slice(-size)) {
      this.#recent.push({
        id,
        time,
        kind,
        from,
        text,
        line: lineOf(kind, from, text),
      });
    }
  }

  /** The kept messages, oldest first. */
  get recent(): readonly RoomMessage[] {
    return this.#recent;
  }

  /** Makes the next message (with its id and wire line), not yet kept. */
  next(
    kind: RoomMessage["kind"],
    from: string,
    text: string,
    time: number = Date.now(),
  ): RoomMessage {
    const line = lineOf(kind, from, text);
    return { id: ++this.#lastId, time, kind, from, text, line };
  }

  /** Forgets every kept message; ids go on. */
  clear(): void {
    this.#recent.length = 0;
  }

  /** Keeps `message`, forgetting the oldest past the size. */
  keep(message: RoomMessage): void {
    this.#recent.push(message);
    if (this.#recent.length > this.#size) this.#recent.shift();
  }
}

function lineOf(kind: RoomMessage["kind"], from: string, text: string) {
  return kind === "say"
    ? wire.chatLine(from, text)
    : wire.actionLine(from, text);
}
