/**
 * A browser's frames, taken one by one as the room can pass them on. A TCP
 * sender is slowed by not reading its socket while the room catches up
 * (`catch_up.ts`); a WebSocket is read by Deno as frames come, so its frames
 * wait here instead, in order, and a browser that sends far more than the
 * room can pass on is dropped rather than held without bound.
 *
 * @module
 */

import type { QueueLedger } from "../room/queue_ledger.ts";

/** What {@linkcode PacedInput} needs of the room. */
export interface PacingRoom {
  /** Where every member's queued bytes are counted. */
  readonly ledger: QueueLedger;
  /** The room's limits: a backlog over `maxQueuedBytes` is a flood. */
  readonly settings: { maxQueuedBytes: number };
  /** Resolves once members have caught up enough for more lines. */
  catchingUp(): Promise<void> | void;
}

/** Options for {@linkcode PacedInput}. */
export interface PacedInputOptions {
  /** Takes one frame into the room. */
  take: (data: string) => void;
  /** Called once the backlog passes the room's queue limit. */
  onFlood: () => void;
}

/** One browser's frames, in order, each taken when the room has room. */
export class PacedInput {
  readonly #room: PacingRoom;
  readonly #options: PacedInputOptions;
  readonly #backlog: string[] = [];
  #backlogBytes = 0;

  /** Paces frames for `room`. */
  constructor(room: PacingRoom, options: PacedInputOptions) {
    this.#room = room;
    this.#options = options;
  }

  /** Takes `data` now, or after the frames before it once the room has caught up. */
  push(data: string): void {
    const pause = this.#backlog.length === 0 ? this.#room.catchingUp() : null;
    if (pause === undefined) return this.#options.take(data);
    this.#backlog.push(data);
    this.#backlogBytes += data.length;
    // The first frame to wait starts the taking; the others queue behind it.
    if (pause) void this.#takeAfter(pause);
    if (this.#backlogBytes > this.#room.settings.maxQueuedBytes) {
      this.clear();
      this.#options.onFlood();
    }
  }

  /** Forgets the frames still waiting. */
  clear(): void {
    this.#backlog.length = 0;
    this.#backlogBytes = 0;
  }

  async #takeAfter(pause: Promise<void>): Promise<void> {
    let wait: Promise<void> | void = pause;
    while (this.#backlog.length > 0) {
      // As a TCP reader does: while someone is past its limit but still
      // reading, wait again after each pause.
      while (wait) {
        await wait;
        wait = this.#room.ledger.behind > 0
          ? this.#room.catchingUp()
          : undefined;
      }
      const data = this.#backlog.shift();
      if (data === undefined) return;
      this.#backlogBytes -= data.length;
      this.#options.take(data);
      wait = this.#room.catchingUp();
    }
  }
}
