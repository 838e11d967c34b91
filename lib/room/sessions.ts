/**
 * Sessions: how a member that lost its connection comes back as itself and
 * catches up exactly once. Transport-neutral: TCP clients ask for one with
 * `/session` (PROTOCOL.md, "Reconnecting"), a browser through its own frames.
 *
 * A member with a session gets a token (which only it knows) once named.
 * Its lines carry a sequence number; the room acknowledges each with the id
 * of the message it became, and a line resent with a number already seen is
 * acknowledged again, not said twice. When its connection is lost (not when
 * it says goodbye), its name is held for a grace period; `resume` with the
 * token gives it back, with every message after the last id it saw.
 *
 * @module
 */

import { nameKey } from "../wire/names.ts";
import type { MemberState } from "./member.ts";

/** How long a lost member's name waits for it. */
export const RESUME_GRACE_MS = 60_000;

/** How many recent sequence numbers a session remembers the ids of. */
const REMEMBERED_SEQS = 1024;

/** One member's session. */
export interface Session {
  /** What proves the member is itself. */
  readonly token: string;
  /** Its name in the room. */
  name: string;
  /** The highest sequence number taken from it. */
  lastSeq: number;
  /** Ids of its recent lines by sequence number (`null`: not a message). */
  readonly seqIds: Map<number, number | null>;
  /** The member's record while connected; `null` while held. */
  state: MemberState | null;
  /** When a held session's name is released, on the room's clock. */
  heldUntil: number | null;
}

/** A session as a store keeps it, to survive a restart. */
export interface SavedSession {
  /** Its token. */
  token: string;
  /** Its name. */
  name: string;
  /** The highest sequence number taken. */
  lastSeq: number;
}

/** The room's sessions, by token. */
export class Sessions {
  readonly #byToken = new Map<string, Session>();
  readonly #graceMs: number;

  /**
   * Makes the room's sessions; `saved` ones (from a store, after a restart)
   * start held, as if their connections had just been lost at `now`.
   */
  constructor(graceMs: number, saved: readonly SavedSession[], now: number) {
    this.#graceMs = graceMs;
    for (const { token, name, lastSeq } of saved) {
      this.#byToken.set(token, {
        token,
        name,
        lastSeq,
        seqIds: new Map(),
        state: null,
        heldUntil: now + graceMs,
      });
    }
  }

  /** Starts a session for a member that was just named. */
  open(state: MemberState): Session {
    const session: Session = {
      token: newToken(),
      name: state.name,
      lastSeq: 0,
      seqIds: new Map(),
      state,
      heldUntil: null,
    };
    this.#byToken.set(session.token, session);
    return session;
  }

  /** The held session `token` names, if it is still held at `now`. */
  held(token: string, now: number): Session | undefined {
    const session = this.#byToken.get(token);
    if (!session || session.heldUntil === null) return undefined;
    if (session.heldUntil <= now) {
      this.#byToken.delete(token);
      return undefined;
    }
    return session;
  }

  /** The session `token` names, held or still attached, unless expired. */
  find(token: string, now: number): Session | undefined {
    const session = this.#byToken.get(token);
    if (!session || session.heldUntil === null) return session;
    return this.held(token, now);
  }

  /** Whether `name` is held for a lost member at `now`. */
  holds(name: string, now: number): boolean {
    const key = nameKey(name);
    for (const session of this.#byToken.values()) {
      if (
        session.heldUntil !== null && session.heldUntil > now &&
        nameKey(session.name) === key
      ) return true;
    }
    return false;
  }

  /** The member lost its connection: hold its name until `now` + grace. */
  hold(session: Session, now: number): void {
    session.state = null;
    session.heldUntil = now + this.#graceMs;
  }

  /** The member is back as `state`. */
  attach(session: Session, state: MemberState): void {
    session.state = state;
    session.heldUntil = null;
  }

  /** The member said goodbye (or was removed): forget the session. */
  end(session: Session): void {
    this.#byToken.delete(session.token);
  }

  /** Forgets held sessions whose time is up. */
  expire(now: number): void {
    for (const [token, session] of this.#byToken) {
      if (session.heldUntil !== null && session.heldUntil <= now) {
        this.#byToken.delete(token);
      }
    }
  }
}

/** Remembers that line `seq` of `session` became message `id` (or none). */
export function remember(
  session: Session,
  seq: number,
  id: number | null,
): void {
  session.lastSeq = seq;
  session.seqIds.set(seq, id);
  if (session.seqIds.size > REMEMBERED_SEQS) {
    session.seqIds.delete(session.seqIds.keys().next().value!);
  }
}

function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_");
}
