/**
 * The session protocol as lines (PROTOCOL.md, "Reconnecting"), for clients
 * that speak in lines: `/session` before the name asks for a session;
 * `/session TOKEN LAST-ID` comes back as the member the token belongs to.
 * Once chatting, such a client puts a sequence number before each line.
 *
 * @module
 */

import type { MemberState } from "./member.ts";
import * as wire from "./wire.ts";

/** What this needs of the room. */
export interface SessionRoom {
  /** Brings back the member of the held session `token`; `false` if none. */
  resume(state: MemberState, token: string, afterId: number): boolean;
}

/**
 * Handles `text` if it is a `/session` line from a member not yet named;
 * returns whether it was one.
 */
export function handleSessionLine(
  room: SessionRoom,
  state: MemberState,
  text: string,
): boolean {
  const words = text.trim().split(/\s+/);
  if (words[0].toLowerCase() !== "/session") return false;
  if (words.length === 1) {
    state.wantsSession = true;
    return true;
  }
  const [, token, lastId] = words;
  if (words.length !== 3 || !/^\d+$/.test(lastId)) {
    state.member.deliver(wire.errorLine(wire.session.usage));
    return true;
  }
  state.wantsSession = true;
  if (!room.resume(state, token, Number(lastId))) {
    state.member.deliver(wire.errorLine(wire.session.unknown));
  }
  return true;
}

/** `7 hello` as `[7, "hello"]`; a line without a number as `[undefined, line]`. */
export function parseSeq(text: string): [number | undefined, string] {
  const match = text.match(/^(\d{1,15}) (.*)$/s);
  return match ? [Number(match[1]), match[2]] : [undefined, text];
}
