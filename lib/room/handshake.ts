/**
 * The handshake, before a member may chat: the passphrase (if the room has
 * one), then a name. Each step is one phase of {@linkcode MemberState}, so
 * a line always means one thing: a guess, a name, or chat.
 *
 * @module
 */

import { nameProblem } from "../wire/names.ts";
import { sendMessage } from "./delivery.ts";
import type { MemberState } from "./member.ts";
import { passwordMatches } from "./password.ts";
import type { RoomMessage } from "./room_options.ts";
import * as wire from "./wire.ts";

/** The first line a member is sent: the passphrase question, or the name question. */
export function welcome(state: MemberState, askPassword: boolean): void {
  if (askPassword) {
    state.member.deliver(wire.notice(wire.PASSWORD_WELCOME));
  } else {
    state.phase = "naming";
    state.member.deliver(wire.notice(wire.NAME_WELCOME));
  }
}

/**
 * The first line, in a room with a passphrase; one guess per member. A
 * wrong one closes the member's phase at once and `refuse`s it later.
 */
export function checkPassword(
  state: MemberState,
  guess: string,
  password: string,
  refuse: () => void,
): void {
  if (passwordMatches(guess, password)) {
    state.phase = "naming";
    state.member.deliver(wire.passwordAcceptedLine());
    return;
  }
  // Lines sent meanwhile are ignored; the answer comes only after a delay.
  state.phase = "closed";
  refuse();
}

/** What {@linkcode nameRefusal} asks of the room. */
export interface NamingRoom {
  /** Whether someone here is called `name` (any case). */
  taken(name: string): boolean;
  /** Whether `name` is held for someone reconnecting. */
  held(name: string): boolean;
}

/** Why `name` can't be taken now (badly formed, taken, held), or `null`. */
export function nameRefusal(name: string, room: NamingRoom): string | null {
  return nameProblem(name) ??
    (room.taken(name) ? wire.errors.nameTaken(name) : null) ??
    (room.held(name) ? wire.session.held(name) : null);
}

/** What a newly named member is told, and what it is shown. */
export interface Greeting {
  /** Names in the room, itself included. */
  names: string[];
  /** Gives it a session, if it asked for one. */
  openSession: () => void;
  /** The topic; `""` for none. */
  topic: string;
  /** The last messages. */
  history: readonly RoomMessage[];
}

/** Welcomes a member that just took a name: hello, its session, the topic, the last messages. */
export function greet(state: MemberState, greeting: Greeting): void {
  const { names, openSession, topic, history } = greeting;
  state.member.deliver(wire.helloLine(state.name, names));
  if (state.wantsSession) openSession();
  if (topic !== "") state.member.deliver(wire.notice(wire.mod.topicIs(topic)));
  if (history.length > 0) {
    state.member.deliver(wire.notice(wire.HISTORY_START));
    for (const message of history) sendMessage(state, message, true);
    state.member.deliver(wire.notice(wire.HISTORY_END));
  }
}
