/**
 * How members go: a goodbye, a lost connection, a drop by the room (too
 * fast, too slow, too silent), a replacement by its own session. Each ends
 * in one close; whether the room is told, and whether the name waits for
 * the member to come back, depends on how it went.
 *
 * @module
 */

import type { Admission } from "./admission.ts";
import type { MemberState } from "./member.ts";
import type { Roster } from "./roster.ts";
import type { SessionKeeper } from "./session_keeper.ts";
import * as wire from "./wire.ts";

/** The room's ways for a member to go. */
export class Exits {
  readonly #roster: Roster;
  readonly #keeper: () => SessionKeeper;
  readonly #admission: Admission;

  /** Makes the exits of a room (`keeper` is asked for when needed: it is made after). */
  constructor(
    roster: Roster,
    keeper: () => SessionKeeper,
    admission: Admission,
  ) {
    this.#roster = roster;
    this.#keeper = keeper;
    this.#admission = admission;
  }

  /** The connection ended (`null`: a goodbye); the room is told, then it is closed. */
  leave(state: MemberState, reason: string | null): void {
    if (state.phase === "closed") return;
    // Gone without a goodbye: its name waits for it to come back.
    this.#keeper().hold(state);
    this.#announceLeave(state, reason);
    state.phase = "closed";
    this.#close(state);
  }

  /**
   * The room drops the member: it is told why, the room is told, it is
   * closed. One dropped for reading too slowly did nothing wrong (a laptop
   * asleep, a frozen tab): its session waits for it, to catch it up.
   */
  drop(state: MemberState, reason: string): void {
    if (state.phase === "closed") return;
    if (reason === wire.reasons.stalled) this.#keeper().hold(state);
    else this.#keeper().end(state);
    this.#announceLeave(state, reason);
    this.disconnect(state, reason);
  }

  /** Closes `old`, which its own session replaces, without a "left" line. */
  replaceQuietly(old: MemberState): void {
    this.#roster.dropName(old);
    old.session = undefined;
    old.phase = "closed";
    this.#close(old);
  }

  /** Tells the member why, then closes it (once). */
  disconnect(state: MemberState, reason: string): Promise<void> {
    if (!state.closing) state.member.deliver(wire.disconnectedLine(reason));
    state.phase = "closed";
    return this.#close(state);
  }

  /** The member is closed: the room no longer counts it. */
  forget(state: MemberState): void {
    this.leave(state, null);
    if (this.#roster.delete(state)) {
      this.#admission.release(state.member.address);
    }
  }

  #close(state: MemberState): Promise<void> {
    return state.closing ??= state.member.close();
  }

  #announceLeave(state: MemberState, reason: string | null): void {
    if (!this.#roster.dropName(state)) return;
    this.#roster.broadcast(wire.leftLine(state.name, reason), state);
  }
}
