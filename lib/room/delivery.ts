/**
 * How one message or acknowledgement reaches one member, in the form that
 * member takes: a browser wants data (`Member.message`, `Member.ack`), a
 * member with a session wants lines tagged with their ids, any other the
 * plain line. Kept in one place so a broadcast and a replay can't differ.
 *
 * @module
 */

import type { MemberState } from "./member.ts";
import type { RoomMessage } from "./room_options.ts";
import * as wire from "./wire.ts";

/**
 * Sends `message` to one member, in the form it takes (tagged with its id if
 * it has a session); `catchUp` when it is one the member missed.
 */
export function sendMessage(
  state: MemberState,
  message: RoomMessage,
  catchUp = false,
): void {
  if (state.member.message) state.member.message(message, catchUp);
  else if (state.session) {
    state.member.deliver(wire.taggedLine(message.id, message.line), catchUp);
  } else state.member.deliver(message.line, catchUp);
}

/**
 * Sends `message` to every one of `receivers` but its sender `from`. The
 * tagged line is made once, on first need, and shared by all who take it.
 */
export function sendToAll(
  receivers: Iterable<MemberState>,
  from: MemberState,
  message: RoomMessage,
): void {
  let tagged: Uint8Array | undefined;
  for (const state of receivers) {
    if (state === from) continue;
    if (state.member.message) state.member.message(message);
    else if (state.session) {
      state.member.deliver(
        tagged ??= wire.taggedLine(message.id, message.line),
      );
    } else state.member.deliver(message.line);
  }
}

/** Acknowledges line `seq` (which became message `id`, or none) to its sender. */
export function sendAck(
  state: MemberState,
  seq: number,
  id: number | null,
): void {
  if (state.member.ack) state.member.ack(seq, id);
  else state.member.deliver(wire.session.ack(seq, id));
}
