/**
 * The room's messages: each gets the next id as it is said, and the last
 * few are kept for newcomers. A store (SQLite) would start `lastId` from
 * what it holds and fill `recent` on start.
 *
 * @module
 */

import type { RestoredMessage, RoomMessage } from "./room_options.ts";
import * as wire from "./wire.ts";

/** How many messages are kept in memory for members catching up. */
export const REPLAY_SIZE = 10_000;

/**
 * Numbers messages and keeps the last `size` of them for newcomers, and the
 * last {@linkcode REPLAY_SIZE} for members that come back after a drop.
 */
export class History {
  readonly #size: number;
  readonly #recent: RoomMessage[] = [];
  /** Oldest first; trimmed by half when twice too long (cheap on average). */
  readonly #replay: RoomMessage[] = [];
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
      const line = messageLine(kind, from, text);
      this.#recent.push({ id, time, kind, from, text, line });
    }
  }

  /** The id of the latest message (0 before any). */
  get lastId(): number {
    return this.#lastId;
  }

  /** Messages after `id` still in memory, oldest first. */
  since(id: number): RoomMessage[] {
    let low = 0;
    let high = this.#replay.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.#replay[middle].id <= id) low = middle + 1;
      else high = middle;
    }
    return this.#replay.slice(low);
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
    const line = messageLine(kind, from, text);
    return { id: ++this.#lastId, time, kind, from, text, line };
  }

  /** Forgets what newcomers are shown; ids go on. */
  clear(): void {
    this.#recent.length = 0;
  }

  /** Keeps `message`, forgetting the oldest past the sizes. */
  keep(message: RoomMessage): void {
    this.#recent.push(message);
    if (this.#recent.length > this.#size) this.#recent.shift();
    this.#replay.push(message);
    if (this.#replay.length > 2 * REPLAY_SIZE) {
      this.#replay.splice(0, this.#replay.length - REPLAY_SIZE);
    }
  }
}

/** The wire line of a message: `<from> text` or `* from text`. */
export function messageLine(
  kind: RoomMessage["kind"],
  from: string,
  text: string,
): Uint8Array {
  return kind === "say"
    ? wire.chatLine(from, text)
    : wire.actionLine(from, text);
}
