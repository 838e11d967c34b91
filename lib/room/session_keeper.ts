/**
 * The room's side of sessions (`sessions.ts` keeps the records): giving a
 * named member its token, taking its numbered lines exactly once, holding
 * its name when its connection is lost, and bringing it back with what it
 * missed. Every change is passed to `onSession`, so a store can keep
 * sessions across a restart.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { sendAck, sendMessage } from "./delivery.ts";
import type { MemberState } from "./member.ts";
import type { RoomMessage, RoomOptions } from "./room_options.ts";
import type { Roster } from "./roster.ts";
import { handleSessionLine, parseSeq } from "./session_lines.ts";
import {
  remember,
  type SavedSession,
  type Session,
  Sessions,
} from "./sessions.ts";
import * as wire from "./wire.ts";

/** What a {@linkcode SessionKeeper} needs of its room. */
export interface SessionKeeperOptions {
  /** How long a lost member's name waits for it, in milliseconds. */
  graceMs: number;
  /** Sessions from a store, held as if just lost. */
  saved: readonly SavedSession[];
  /** The room's clock. */
  clock: Clock;
  /** The room's members. */
  roster: Roster;
  /** Sees each session as it changes. */
  onSession: RoomOptions["onSession"];
  /** Messages after `id` that a member coming back missed, oldest first. */
  missedSince: (id: number) => readonly RoomMessage[];
  /** Closes a member that its own session replaces, without a "left" line. */
  replaceQuietly: (old: MemberState) => void;
}

/** The room's sessions, and what the room does with them. */
export class SessionKeeper {
  /** Sessions of members that may come back after a drop. */
  readonly sessions: Sessions;
  readonly #clock: Clock;
  readonly #roster: Roster;
  readonly #onSession: RoomOptions["onSession"];
  readonly #missedSince: (id: number) => readonly RoomMessage[];
  readonly #replaceQuietly: (old: MemberState) => void;

  /** Makes the keeper; saved sessions start held. */
  constructor(options: SessionKeeperOptions) {
    const { graceMs, saved, clock } = options;
    this.sessions = new Sessions(graceMs, saved, clock.now());
    this.#clock = clock;
    this.#roster = options.roster;
    this.#onSession = options.onSession;
    this.#missedSince = options.missedSince;
    this.#replaceQuietly = options.replaceQuietly;
  }

  /** Handles a `/session` line from a member not yet named; whether it was one. */
  sessionLine(state: MemberState, text: string): boolean {
    return handleSessionLine(this, state, text);
  }

  /** Whether `name` may not be taken now: it is held for someone reconnecting. */
  nameHeld(name: string): boolean {
    return this.sessions.holds(name, this.#clock.now());
  }

  /** Gives a named member a session and tells it the token. */
  open(state: MemberState): void {
    const session = this.sessions.open(state);
    state.session = session;
    state.member.deliver(wire.session.token(session.token));
    this.#save(session);
  }

  /** The member now goes by `name`: its session does too. */
  renamed(state: MemberState, name: string): void {
    if (!state.session) return;
    state.session.name = name;
    this.#save(state.session);
  }

  /**
   * Brings back the member of the held session `token` as `state` (not yet
   * named); it is sent what it missed after `afterId`. `false`: no such
   * session is held.
   */
  resume(state: MemberState, token: string, afterId: number): boolean {
    const session = this.sessions.find(token, this.#clock.now());
    if (!session) return false;
    // Its old connection may not have noticed it is gone (a dropped network
    // is only seen by the side that writes): the token wins, the old one goes.
    if (session.state) this.#replaceQuietly(session.state);
    if (this.#roster.find(session.name)) return false;
    this.sessions.attach(session, state);
    state.session = session;
    state.phase = "chatting";
    this.#roster.setName(state, session.name);
    // Its own lines it typed itself; a page, which shows them as pending
    // until acknowledged, takes them (marked as its own) to settle them.
    const missed = this.#missedSince(afterId).filter((message) =>
      state.member.message !== undefined || message.from !== state.name
    );
    state.member.deliver(wire.session.resumed(state.name, missed.length));
    for (const message of missed) sendMessage(state, message, true);
    this.#roster.broadcast(wire.session.rejoined(state.name), state);
    return true;
  }

  /**
   * Takes a named member's line through `take`. A member with a session
   * numbers its lines: one already taken is acknowledged again, not said
   * twice; a new one is acknowledged with the id of the message it became
   * (`lastId` is the room's last message id).
   */
  takeLine(
    state: MemberState,
    text: string,
    seq: number | undefined,
    take: (text: string) => void,
    lastId: () => number,
  ): void {
    const session = state.session;
    if (session && seq === undefined) [seq, text] = parseSeq(text);
    if (!session || seq === undefined) return take(text);
    if (seq <= session.lastSeq) {
      const id = session.seqIds.get(seq) ?? null;
      return sendAck(state, seq, id);
    }
    const before = lastId();
    take(text);
    const id = lastId() > before ? lastId() : null;
    remember(session, seq, id);
    this.#save(session);
    if (state.phase !== "closed") sendAck(state, seq, id);
  }

  /** The member's connection was lost (no goodbye): its name waits for it. */
  hold(state: MemberState): void {
    if (state.session?.state === state) {
      this.sessions.hold(state.session, this.#clock.now());
    }
  }

  /** The member won't be back under this session (it left, or was removed). */
  end(state: MemberState): void {
    if (state.session?.state !== state) return;
    this.sessions.end(state.session);
    this.#onSession?.({ token: state.session.token, ended: true });
  }

  /** Forgets held sessions whose time is up. */
  expire(): void {
    this.sessions.expire(this.#clock.now());
  }

  #save(session: Session): void {
    const { token, name, lastSeq } = session;
    this.#onSession?.({ token, name, lastSeq });
  }
}
