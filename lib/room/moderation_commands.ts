/**
 * The teacher's commands: `/op`, `/deop`, `/kick`, `/mute`, `/unmute`,
 * `/ban`, `/unban`, `/bans`, `/topic`, `/slow`, `/quiet`, `/lock`, `/clear`.
 * Each action is announced to the room in one `***` line naming who did it
 * (the operator's console shows the room, so it is logged there too).
 *
 * @module
 */

import type { Command, CommandLine, CommandRoom } from "./commands.ts";
import type { MemberState } from "./member.ts";
import { untilAfter } from "./moderation.ts";
import * as wire from "./wire.ts";

/** The longest mute or ban, in minutes: a week. */
export const MAX_MINUTES = 7 * 24 * 60;

/** The moderation commands, to add to a room's command table. */
export const MODERATION_COMMANDS: ReadonlyMap<string, Command> = new Map<
  string,
  Command
>([
  ["/op", op],
  ["/deop", (room, from) => {
    if (room.isHost(from)) return reply(from, wire.mod.operatorAlways);
    if (!from.moderator) return reply(from, wire.mod.notModerator);
    from.moderator = false;
    room.announce(wire.mod.deopped(from.name));
  }],
  [
    "/kick",
    moderator((room, from, { words, rest }) => {
      const target = targetOf(room, from, words[0], "/kick NAME [REASON]");
      if (!target) return;
      const reason = rest.slice(words[0].length).trim() || null;
      room.announce(wire.mod.kicked(from.name, target.name, reason));
      room.remove(target, wire.mod.kickReason(reason));
    }),
  ],
  [
    "/mute",
    moderator((room, from, { words }) => {
      const target = targetOf(room, from, words[0], "/mute NAME [MINUTES]");
      const minutes = target &&
        minutesOf(from, words[1], "/mute NAME [MINUTES]");
      if (!target || minutes === null) return;
      room.moderation.mute(target, untilAfter(minutes, room.now()));
      room.announce(wire.mod.muted(from.name, target.name, minutes));
    }),
  ],
  [
    "/unmute",
    moderator((room, from, { words }) => {
      const target = targetOf(room, from, words[0], "/unmute NAME");
      if (!target) return;
      if (!room.moderation.unmute(target)) {
        return reply(from, wire.mod.notMuted(target.name));
      }
      room.announce(wire.mod.unmuted(from.name, target.name));
    }),
  ],
  [
    "/ban",
    moderator((room, from, { words }) => {
      const target = targetOf(room, from, words[0], "/ban NAME [MINUTES]");
      const minutes = target &&
        minutesOf(from, words[1], "/ban NAME [MINUTES]");
      if (!target || minutes === null) return;
      const until = untilAfter(minutes, room.now());
      room.moderation.ban(target.member.address, target.name, until);
      room.announce(wire.mod.banned(from.name, target.name, minutes));
      room.remove(target, wire.mod.banReason(minutes));
    }),
  ],
  [
    "/unban",
    moderator((room, from, { words }) => {
      const address = words[0] ?? "";
      if (address === "") return reply(from, wire.mod.usage("/unban ADDRESS"));
      const ban = room.moderation.bans(room.now()).find((ban) =>
        ban.address === address
      );
      if (!ban || !room.moderation.unban(address)) {
        return reply(from, wire.mod.notBanned(address));
      }
      room.announce(wire.mod.unbanned(from.name, ban.name));
    }),
  ],
  [
    "/bans",
    moderator((room, from) => {
      const now = room.now();
      const lines = wire.mod.banList(room.moderation.bans(now), now);
      for (const line of lines) from.member.deliver(wire.notice(line));
    }),
  ],
  ["/topic", (room, from, { rest }) => {
    const topic = rest.trim();
    if (topic === "") {
      return from.member.deliver(
        wire.notice(wire.mod.topicIs(room.moderation.topic)),
      );
    }
    if (!from.moderator) return reply(from, wire.mod.forModerators("/topic"));
    room.moderation.topic = topic;
    room.announce(wire.mod.topicSet(from.name, topic));
  }],
  [
    "/slow",
    moderator((room, from, { words }) => {
      const seconds = Number(words[0]);
      if (!/^\d+$/.test(words[0] ?? "") || seconds > 3600) {
        return reply(
          from,
          wire.mod.usage("/slow SECONDS (0 to 3600; 0 is off)"),
        );
      }
      room.moderation.slowSeconds = seconds;
      room.announce(wire.mod.slow(from.name, seconds));
    }),
  ],
  [
    "/quiet",
    moderator(toggle("/quiet", (room, from, on) => {
      room.moderation.quiet = on;
      room.announce(wire.mod.quiet(from.name, on));
    })),
  ],
  [
    "/lock",
    moderator(toggle("/lock", (room, from, on) => {
      room.moderation.locked = on;
      room.announce(wire.mod.locked(from.name, on));
    })),
  ],
  [
    "/clear",
    moderator((room, from) => {
      room.clearHistory();
      room.announce(wire.mod.cleared(from.name));
    }),
  ],
]);

/** `/op PASSPHRASE`: a right one makes `from` a moderator; a wrong one waits. */
function op(room: CommandRoom, from: MemberState, { rest }: CommandLine) {
  if (room.isHost(from)) return reply(from, wire.mod.operatorAlways);
  if (from.moderator) return reply(from, wire.mod.alreadyModerator);
  if (rest.trim() === "") return reply(from, wire.mod.usage("/op PASSPHRASE"));
  const right = room.opPasswordMatches(rest);
  if (right === null) return reply(from, wire.mod.noOpPassword);
  // Right or wrong, the answer takes as long as a wrong room passphrase's,
  // so guessing is slow and timing tells nothing.
  room.afterPasswordDelay(() => {
    if (from.phase !== "chatting") return;
    if (!right) return reply(from, wire.mod.wrongOpPassword);
    from.moderator = true;
    room.announce(wire.mod.opped(from.name));
  });
}

/** Only moderators (and the operator) may run `command`. */
function moderator(command: Command): Command {
  return (room, from, line) => {
    if (!from.moderator) {
      return reply(from, wire.mod.forModerators(line.command.toLowerCase()));
    }
    command(room, from, line);
  };
}

/** A command taking `on` or `off`. */
function toggle(
  name: string,
  set: (room: CommandRoom, from: MemberState, on: boolean) => void,
): Command {
  return (room, from, { words }) => {
    const word = (words[0] ?? "").toLowerCase();
    if (word !== "on" && word !== "off") {
      return reply(from, wire.mod.usage(`${name} on|off`));
    }
    set(room, from, word === "on");
  };
}

/** The member `name` names, if `from` may act on it; else replies why not. */
function targetOf(
  room: CommandRoom,
  from: MemberState,
  name: string | undefined,
  usage: string,
): MemberState | undefined {
  if (!name) return void reply(from, wire.mod.usage(usage));
  const target = room.find(name);
  if (!target) return void reply(from, wire.errors.nobodyCalled(name));
  if (target === from) return void reply(from, wire.mod.notYourself);
  if (room.isHost(target)) return void reply(from, wire.mod.notOperator);
  if (target.moderator && !room.isHost(from)) {
    return void reply(from, wire.mod.otherModerator(target.name));
  }
  return target;
}

/**
 * The optional MINUTES argument: `undefined` when absent (no end), `null`
 * (after replying) when it is not a whole number from 1 to a week.
 */
function minutesOf(
  from: MemberState,
  word: string | undefined,
  usage: string,
): number | undefined | null {
  if (word === undefined || word === "") return undefined;
  const minutes = Number(word);
  if (/^\d+$/.test(word) && minutes >= 1 && minutes <= MAX_MINUTES) {
    return minutes;
  }
  reply(from, wire.mod.usage(`${usage}: MINUTES from 1 to ${MAX_MINUTES}`));
  return null;
}

function reply(to: MemberState, error: string): void {
  to.member.deliver(wire.errorLine(error));
}
