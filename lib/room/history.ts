/**
 * The room's messages: each gets the next id as it is said, and the last
 * few are kept for newcomers. A store (SQLite) would start `lastId` from
 * what it holds and fill `recent` on start.
 *
 * @module
 */

import type { RestoredMessage, RoomMessage } from "./room_options.ts";
import { ReplayLog } from "./replay_log.ts";
import * as wire from "./wire.ts";

/** How many messages are kept in memory for members catching up. */
export const REPLAY_SIZE = 10_000;

/**
 * Numbers messages and keeps the last `size` of them for newcomers, and the
 * last {@linkcode REPLAY_SIZE} for members that come back after a drop.
 */
export class History {
  readonly #size: number;
  /** What newcomers are shown; none when `size` is 0. */
  #recent: ReplayLog | null;
  readonly #replay = new ReplayLog(REPLAY_SIZE);
  #lastId: number;

  /** Keeps `size` messages; ids go on from `lastId`, after `restored`. */
  constructor(
    size: number,
    lastId = 0,
    restored: readonly RestoredMessage[] = [],
  ) {
    this.#size = size;
    this.#recent = recentLog(size);
    this.#lastId = lastId;
    for (const { id, time, kind, from, text } of restored.slice(-size)) {
      const line = messageLine(kind, from, text);
      this.#recent?.push({ id, time, kind, from, text, line });
    }
  }

  /** The id of the latest message (0 before any). */
  get lastId(): number {
    return this.#lastId;
  }

  /** Messages after `id` still in memory, oldest first. */
  since(id: number): RoomMessage[] {
    return this.#replay.since(id);
  }

  /** The kept messages, oldest first. */
  get recent(): readonly RoomMessage[] {
    return this.#recent?.since(-Infinity) ?? [];
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
    this.#recent = recentLog(this.#size);
  }

  /** Keeps `message`, forgetting the oldest past the sizes. */
  keep(message: RoomMessage): void {
    this.#recent?.push(message);
    this.#replay.push(message);
  }
}

function recentLog(size: number): ReplayLog | null {
  return size > 0 ? new ReplayLog(size) : null;
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
