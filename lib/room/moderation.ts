/**
 * What a teacher has set in the room: who is muted or banned, the topic, slow
 * mode, quiet (lecture) mode and the lock; and the rules that follow from
 * them. The commands that change it are in `moderation_commands.ts`.
 *
 * A mute or a ban is tied to more than a name, so a new name doesn't get
 * around it: a mute to the member's names (it follows `/nick`) and to its
 * address; a ban to the address. On a network where a whole class shares one
 * address (a school's NAT), an address rule covers everyone behind it: the
 * README says so.
 *
 * @module
 */

import { nameKey } from "../wire/names.ts";
import type { MemberState } from "./member.ts";

/** A mute or ban ends at this time on the room's clock; `null`: never. */
export type Until = number | null;

/** A mute: the names and address it holds, and when it ends. */
interface Mute {
  names: Set<string>;
  address: string;
  until: Until;
}

/** A ban of an address, with the name it was given for. */
export interface Ban {
  /** The banned address. */
  address: string;
  /** The name of the member who was banned. */
  name: string;
  /** When it ends; `null`: when the room closes. */
  until: Until;
}

/** Who the room is addressed to, for `talkRefusal`: everyone, or one member. */
export type Audience = "room" | MemberState;

/**
 * Who a line talks to, for moderation: the room, or the target of a `/msg`
 * (found with `find`); `null` for a command that says nothing to anyone.
 */
export function audienceOf(
  text: string,
  find: (name: string) => MemberState | undefined,
): Audience | null {
  if (!text.startsWith("/") || text.startsWith("//")) return "room";
  const [command, target] = text.split(" ");
  switch (command.toLowerCase()) {
    case "/me":
      return "room";
    case "/msg":
      return find(target ?? "") ?? null;
    default:
      return null;
  }
}

/** The room's moderation settings and the checks they imply. */
export class Moderation {
  /** Shown to everyone who joins, after the welcome; `""` for none. */
  topic = "";
  /** Seconds between two lines of a non-moderator; 0: no slow mode. */
  slowSeconds = 0;
  /** Lecture mode: only moderators may talk. */
  quiet = false;
  /** No new joins. */
  locked = false;
  readonly #mutes: Mute[] = [];
  readonly #bans = new Map<string, Ban>();
  readonly #lastLine = new WeakMap<MemberState, number>();

  /** Why a new connection from `address` is refused at `now`, or `null`. */
  refusal(address: string, now: number): string | null {
    const ban = this.#bans.get(address);
    if (ban && !expired(ban.until, now)) {
      return ban.until === null
        ? "you are banned from this room"
        : `you are banned from this room for ${
          minutesLeft(ban.until, now)
        } more minute(s)`;
    }
    if (ban) this.#bans.delete(address);
    if (this.locked) return "the room is locked; ask the teacher to unlock it";
    return null;
  }

  /**
   * Why `state` may not say something to `to` now, or `null` if it may.
   * Moderators may always talk; anyone may write privately to a moderator.
   * The clock is read only when a mute or slow mode needs it (every line
   * passes here, and reading it is a call into the runtime).
   */
  talkRefusal(
    state: MemberState,
    to: Audience | null,
    clock: { now(): number },
  ): string | null {
    if (state.moderator || to === null) return null;
    const toModerator = to !== "room" && to.moderator === true;
    if (
      !toModerator && this.#mutes.length > 0 &&
      this.isMuted(state, clock.now())
    ) {
      return "you are muted by the teacher; you can still read, and /msg a teacher";
    }
    if (!toModerator && this.quiet) {
      return "quiet mode: only the teacher may talk now; you can /msg a teacher";
    }
    if (this.slowSeconds > 0) {
      const now = clock.now();
      const last = this.#lastLine.get(state);
      const wait = last === undefined
        ? 0
        : last + this.slowSeconds * 1000 - now;
      if (wait > 0) {
        return `slow mode: one line every ${this.slowSeconds} s; wait ${
          Math.ceil(wait / 1000)
        } s more`;
      }
      this.#lastLine.set(state, now);
    }
    return null;
  }

  /** Whether `state` is muted at `now`, by its name or its address. */
  isMuted(state: MemberState, now: number): boolean {
    return this.#muteOf(state, now) !== undefined;
  }

  /** Mutes `state` (its current name and address) until `until`. */
  mute(state: MemberState, until: Until): void {
    this.unmute(state);
    this.#mutes.push({
      names: new Set([nameKey(state.name)]),
      address: state.member.address,
      until,
    });
  }

  /** Lifts every mute that holds `state`; whether there was one. */
  unmute(state: MemberState): boolean {
    let found = false;
    for (let mute; (mute = this.#muteOf(state, -Infinity));) {
      this.#mutes.splice(this.#mutes.indexOf(mute), 1);
      found = true;
    }
    return found;
  }

  /** A member changed its name: a mute on the old name holds the new one too. */
  renamed(oldName: string, newName: string): void {
    for (const mute of this.#mutes) {
      if (mute.names.has(nameKey(oldName))) mute.names.add(nameKey(newName));
    }
  }

  /** Bans `address` (given for `name`) until `until`. */
  ban(address: string, name: string, until: Until): void {
    this.#bans.set(address, { address, name, until });
  }

  /** Lifts the ban on `address`; whether there was one. */
  unban(address: string): boolean {
    return this.#bans.delete(address);
  }

  /** The bans in force at `now`, oldest first. */
  bans(now: number): Ban[] {
    return [...this.#bans.values()].filter((ban) => !expired(ban.until, now));
  }

  #muteOf(state: MemberState, now: number): Mute | undefined {
    const key = nameKey(state.name);
    return this.#mutes.find((mute) =>
      !expired(mute.until, now) &&
      (mute.names.has(key) || mute.address === state.member.address)
    );
  }
}

/** `until` for a number of minutes from `now`; `undefined` minutes: never. */
export function untilAfter(minutes: number | undefined, now: number): Until {
  return minutes === undefined ? null : now + minutes * 60_000;
}

function expired(until: Until, now: number): boolean {
  return until !== null && until <= now;
}

function minutesLeft(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 60_000));
}
