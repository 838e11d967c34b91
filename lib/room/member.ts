/**
 * What the room knows of the people in it. A {@linkcode Member} is any
 * connection that can take lines: a TCP socket (`tcp_member.ts`), a
 * browser's WebSocket, or the operator's screen. The room keeps one
 * {@linkcode MemberState} per member: its handshake phase, name and
 * counters; per-member features (a mute, a last-seen message id) go there.
 *
 * @module
 */

import type { FloodGuard } from "./flood_guard.ts";
import type { RoomMessage } from "./room_options.ts";
import type { Session } from "./sessions.ts";
import * as wire from "./wire.ts";

/** Where a member is in the handshake; lines mean different things in each. */
export type Phase = "password" | "naming" | "chatting" | "closed";

/** A connection the room can send to. */
export interface Member {
  /** The remote address, for the per-address limit (`""` for the operator). */
  readonly address: string;
  /** Bytes queued for it and not yet taken: how far behind it is. */
  readonly queuedBytes: number;
  /**
   * Queues one or more whole `\n`-terminated lines; never waits. The same
   * bytes go to every receiver of a broadcast, so they must not be changed.
   * `catchUp`: they are what it missed (history, a resumed session's
   * messages), owed to it whatever its queue limit.
   */
  deliver(bytes: Uint8Array, catchUp?: boolean): void;
  /**
   * Takes a message of the room in its own form, instead of `deliver`ing
   * its line (a browser wants it as data). Optional.
   */
  message?(message: RoomMessage, catchUp?: boolean): void;
  /**
   * Takes the acknowledgement of its line `seq` (the message id it became,
   * or `null`) in its own form, instead of a `*** Ack` line. Optional.
   */
  ack?(seq: number, id: number | null): void;
  /**
   * Lets it take what is queued (for a while), then closes it. The room has
   * already queued the reason, if there is one. Safe to call twice.
   */
  close(): Promise<void>;
}

/** The room's record of one member. */
export interface MemberState {
  /** The connection. */
  readonly member: Member;
  /** Where it is in the handshake. */
  phase: Phase;
  /** Its name once chosen; `""` before. */
  name: string;
  /** When it connected, on the room's clock. */
  readonly connectedAt: number;
  /** When it last sent anything, on the room's clock. */
  lastHeard: number;
  /** Its flood guard; `null` when off (and for the operator). */
  readonly flood: FloodGuard | null;
  /** A teacher: the operator, or a member after `/op`. */
  moderator?: boolean;
  /** It asked for a session (`/session`) and gets one once named. */
  wantsSession?: boolean;
  /** Its session, once it has one. */
  session?: Session;
  /** Set once the room began closing it; closing it again returns this. */
  closing?: Promise<void>;
}

/** A new member's record: not yet through the handshake. */
export function newMemberState(
  member: Member,
  now: number,
  flood: FloodGuard | null,
): MemberState {
  return {
    member,
    phase: "password",
    name: "",
    connectedAt: now,
    lastHeard: now,
    flood,
  };
}

/** The operator's record: named, a moderator, chatting from the start; it sees the room through `show`. */
export function newHostState(
  name: string,
  show: (bytes: Uint8Array) => void,
  now: number,
): MemberState {
  const host = newMemberState(
    {
      address: "",
      queuedBytes: 0,
      deliver: show,
      close: () => Promise.resolve(),
    },
    now,
    null,
  );
  host.phase = "chatting";
  host.moderator = true;
  host.name = name;
  return host;
}

/** Why `state` should be dropped at `now` (no name in time, or silent), or `null`. */
export function overdue(
  state: MemberState,
  now: number,
  limits: { nameTimeoutMs: number; idleTimeoutMs: number },
): string | null {
  const { nameTimeoutMs, idleTimeoutMs } = limits;
  if (state.phase === "closed") return null;
  if (state.name === "" && now - state.connectedAt > nameTimeoutMs) {
    return wire.reasons.noName(nameTimeoutMs);
  }
  if (idleTimeoutMs > 0 && now - state.lastHeard > idleTimeoutMs) {
    return wire.reasons.silent(idleTimeoutMs);
  }
  return null;
}
