/**
 * The room's slash commands, as a table: a command is a function of the
 * room and the member who typed it. More commands (moderation: `/kick`,
 * `/mute`...) are more entries, passed to the room as `commands`.
 *
 * @module
 */

import { nameProblem } from "../wire/names.ts";
import type { MemberState } from "./member.ts";
import type { Moderation } from "./moderation.ts";
import * as wire from "./wire.ts";

/** What a command may ask of the room. */
export interface CommandRoom {
  /** Names in the room, the operator first. */
  readonly names: string[];
  /** The member called `name` (any case), if one is here. */
  find(name: string): MemberState | undefined;
  /** Whether `state` is the operator. */
  isHost(state: MemberState): boolean;
  /** Says `text` in the room as `from`. */
  publish(from: MemberState, kind: "say" | "action", text: string): void;
  /** Renames a member (the name was checked) and tells everyone. */
  rename(state: MemberState, newName: string): void;
  /** A member leaves: the room is told (with `reason`), then it is closed. */
  leave(state: MemberState, reason: string | null): void;
  /** What teachers have set: mutes, bans, topic, modes. */
  readonly moderation: Moderation;
  /** The time on the room's clock. */
  now(): number;
  /** `*** text` to everyone, the operator included. */
  announce(text: string): void;
  /** Closes a member with `reason`, without the usual "left" line. */
  remove(state: MemberState, reason: string): void;
  /** Forgets the messages newcomers are shown. */
  clearHistory(): void;
  /** Whether `guess` is the moderator passphrase; `null` if there is none. */
  opPasswordMatches(guess: string): boolean | null;
  /** Runs `then` after the wrong-passphrase delay. */
  afterPasswordDelay(then: () => void): void;
}

/** A typed command line, split: `/msg bob hi there`. */
export interface CommandLine {
  /** The command as typed, e.g. `/msg`. */
  command: string;
  /** Everything after the command and one space: `bob hi there`. */
  rest: string;
  /** `rest` split at single spaces: `["bob", "hi", "there"]`. */
  words: string[];
}

/** Runs one command for `from`. */
export type Command = (
  room: CommandRoom,
  from: MemberState,
  line: CommandLine,
) => void;

/** Commands by lower-case name, slash included. */
export type CommandTable = ReadonlyMap<string, Command>;

/** The commands every room has. */
export const COMMANDS: CommandTable = new Map<string, Command>([
  ["/help", (_room, from) => {
    for (const line of wire.HELP_LINES) from.member.deliver(wire.notice(line));
  }],
  ["/who", (room, from) => {
    from.member.deliver(wire.notice(wire.whoText(room.names)));
  }],
  ["/me", (room, from, { rest }) => {
    if (rest.trim() === "") return reply(from, wire.errors.meUsage);
    room.publish(from, "action", rest);
  }],
  ["/msg", privateMessage],
  ["/nick", (room, from, { rest }) => rename(room, from, rest.trim())],
  ["/quit", (room, from, { rest }) => {
    if (room.isHost(from)) return reply(from, wire.errors.hostQuit);
    // A goodbye before the close, so nc users see the /quit worked.
    from.member.deliver(wire.goodbyeLine(from.name));
    room.leave(from, rest.trim() || null);
  }],
]);

/** Runs the command `text` (which starts with `/`) for `from`. */
export function runCommand(
  room: CommandRoom,
  from: MemberState,
  text: string,
  commands: CommandTable = COMMANDS,
): void {
  const [command, ...words] = text.split(" ");
  const run = commands.get(command.toLowerCase());
  if (!run) return reply(from, wire.errors.unknownCommand(command));
  run(room, from, { command, rest: text.slice(command.length + 1), words });
}

function privateMessage(
  room: CommandRoom,
  from: MemberState,
  { rest, words }: CommandLine,
): void {
  const toName = words[0] ?? "";
  const text = rest.slice(toName.length + 1);
  const to = room.find(toName);
  if (toName === "" || text.trim() === "") {
    reply(from, wire.errors.msgUsage);
  } else if (!to) {
    reply(from, wire.errors.nobodyCalled(toName));
  } else {
    to.member.deliver(wire.privateLine(from.name, text));
    from.member.deliver(wire.privateEchoLine(to.name, text));
  }
}

function rename(room: CommandRoom, from: MemberState, newName: string): void {
  const problem = nameProblem(newName);
  const owner = room.find(newName);
  if (problem) return reply(from, problem);
  if (owner && owner !== from) {
    return reply(from, wire.errors.nameTaken(newName));
  }
  if (room.isHost(from)) return reply(from, wire.errors.hostNick);
  room.rename(from, newName);
}

function reply(to: MemberState, error: string): void {
  to.member.deliver(wire.errorLine(error));
}
