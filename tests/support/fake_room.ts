/**
 * Fakes for in-process tests of the room core: a clock that moves only when
 * told, and members that keep what they are sent as text.
 *
 * @module
 */

import type { Clock, TimerId } from "../../lib/room/clock.ts";
import type { Member } from "../../lib/room/member.ts";
import { Room, type RoomOptions, type RoomSeat } from "../../lib/room/room.ts";

/** A clock for tests: time passes only in {@linkcode FakeClock.advance}. */
export class FakeClock implements Clock {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  /** Milliseconds since the clock was made, as advanced. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at now + `ms`. */
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id as unknown as TimerId;
  }

  /** Cancels a timer. */
  clearTimeout(id: TimerId | undefined): void {
    this.#timers.delete(id as unknown as number);
  }

  /** Moves time on by `ms`, running each timer due, in order, at its time. */
  advance(ms: number): void {
    const end = this.#now + ms;
    while (true) {
      const due = [...this.#timers].filter(([, t]) => t.at <= end)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = end;
  }
}

const decoder = new TextDecoder();

/** A member that keeps every line it is sent. */
export class FakeMember implements Member {
  /** Its address. */
  readonly address: string;
  /** Lines sent to it, without their `\n`. */
  readonly lines: string[] = [];
  /** Bytes "queued": what the test says. */
  queuedBytes = 0;
  /** How many times the room closed it. */
  closeCount = 0;

  /** Makes a member from `address`. */
  constructor(address = "127.0.0.1") {
    this.address = address;
  }

  /** Keeps the lines. */
  deliver(bytes: Uint8Array): void {
    const text = decoder.decode(bytes);
    if (!text.endsWith("\n")) throw new Error(`Unterminated: "${text}"`);
    this.lines.push(...text.slice(0, -1).split("\n"));
  }

  /** Counts the close. */
  close(): Promise<void> {
    this.closeCount++;
    return Promise.resolve();
  }

  /** The last line it got. */
  get last(): string | undefined {
    return this.lines.at(-1);
  }

  /** Forgets the lines so far. */
  clear(): void {
    this.lines.length = 0;
  }
}

/** A member joined to a room, and the seat its lines go in by. */
export interface Joined {
  /** The fake connection. */
  member: FakeMember;
  /** The room's side. */
  seat: RoomSeat;
  /** Sends one line, as the member typed it. */
  say(text: string): void;
}

/** Joins a fake member from `address` (sending no line yet). */
export function connect(room: Room, address = "127.0.0.1"): Joined {
  const member = new FakeMember(address);
  const seat = room.join(member);
  return {
    member,
    seat,
    say: (text) => {
      seat.heard();
      seat.receive({ kind: "line", text });
    },
  };
}

/** Joins a fake member and names it `name`, then clears what it was sent. */
export function joinAs(room: Room, name: string, address?: string): Joined {
  const joined = connect(room, address);
  joined.say(name);
  joined.member.clear();
  return joined;
}

/** A room on a fake clock, and the clock. */
export function fakeRoom(
  options: RoomOptions = {},
): { room: Room; clock: FakeClock } & AsyncDisposable {
  const clock = new FakeClock();
  const room = new Room({ clock, ...options });
  return { room, clock, [Symbol.asyncDispose]: () => room.close() };
}
