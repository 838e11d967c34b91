/**
 * Every line the room server sends, in one place: PROTOCOL.md describes
 * exactly these. Lines are `\n`-terminated UTF-8; text that came from a
 * client is made safe with {@linkcode sanitize} before it goes out.
 *
 * @module
 */

import { MAX_NAME_LENGTH } from "../wire/names.ts";
import { sanitize } from "../wire/sanitize.ts";
import { lazyLine } from "./lazy_lines.ts";
import { messageLines } from "./line_arena.ts";

const encoder = new TextEncoder();

/** The first line in a room without a passphrase. */
export const NAME_WELCOME =
  `Welcome to the chatlab room. Type your name and press Enter (letters, digits, _ and -, up to ${MAX_NAME_LENGTH}).`;

/** The first line in a room with a passphrase. */
export const PASSWORD_WELCOME =
  "Welcome to the chatlab room. This room needs a password: type it and press Enter.";

/** What `/help` shows, one notice per line. */
export const HELP_LINES: readonly string[] = [
  "Commands:",
  "  /who              who is in the room",
  "  /me ACTION        say what you are doing (* you ACTION)",
  "  /msg NAME TEXT    a private message to NAME",
  "  /nick NEW         change your name",
  "  /quit [REASON]    leave the room",
  "  /help             this list",
  "  //TEXT            send a message that starts with /",
  "  /topic            show the room's topic",
  "Teachers (the operator, or after /op PASSPHRASE):",
  "  /op PASSPHRASE    become a moderator; /deop gives it up",
  "  /kick NAME [REASON]      remove NAME from the room",
  "  /mute NAME [MINUTES]     NAME reads but can't talk; /unmute NAME",
  "  /ban NAME [MINUTES]      remove NAME and refuse its address; /unban ADDRESS, /bans",
  "  /topic TEXT       set the topic newcomers see",
  "  /slow SECONDS     one line per SECONDS per student (0: off)",
  "  /quiet on|off     only teachers may talk",
  "  /lock on|off      no new joins",
  "  /clear            forget the history newcomers see",
];

/** `<alice> text`: a message, attributed by the server. */
export function chatLine(name: string, text: string): Uint8Array {
  return messageLines.encodeLine("say", name, text, sanitize);
}

/** `* alice waves`: a `/me` action. */
export function actionLine(name: string, action: string): Uint8Array {
  return messageLines.encodeLine("action", name, action, sanitize);
}

/** `*alice* text`: what the receiver of a private message sees. */
export function privateLine(from: string, text: string): Uint8Array {
  return encoder.encode(`*${from}* ${sanitize(text)}\n`);
}

/** `-> *bob* text`: what the sender of a private message sees. */
export function privateEchoLine(to: string, text: string): Uint8Array {
  return encoder.encode(`-> *${to}* ${sanitize(text)}\n`);
}

/** `*** text`: a line from the server itself. */
export function notice(text: string): Uint8Array {
  return encoder.encode(`*** ${text}\n`);
}

/** `*** Error: Text`: a mistake, not fatal. */
export function errorLine(text: string): Uint8Array {
  return notice(`Error: ${capitalize(text)}`);
}

/** `*** Disconnected: reason`: the last line before the server closes. */
export function disconnectedLine(reason: string): Uint8Array {
  return encoder.encode(`*** Disconnected: ${sanitize(reason)}\n`);
}

/** The notice after a right passphrase. */
export function passwordAcceptedLine(): Uint8Array {
  return notice(`Password accepted. ${NAME_WELCOME}`);
}

/** `In the room (2): host, alice`. */
export function whoText(names: readonly string[]): string {
  return `In the room (${names.length}): ${names.join(", ")}`;
}

/** The greeting once a name is taken. */
export function helloLine(name: string, names: readonly string[]): Uint8Array {
  return notice(`Hello ${name}! ${whoText(names)}. Type /help for commands.`);
}

/** Around the history a newcomer is shown. */
export const HISTORY_START = "Last messages:";
/** After the history a newcomer is shown. */
export const HISTORY_END = "End of last messages.";

/** `*** Goodbye, alice.`: the answer to `/quit`, before the close. */
export function goodbyeLine(name: string): Uint8Array {
  return notice(`Goodbye, ${name}.`);
}

/** `*** alice joined` (a line that may wait: `lazy_lines.ts`). */
export function joinedLine(name: string): Uint8Array {
  return lazyLine(notice(`${name} joined`));
}

/** `*** alice left` or `*** alice left (reason)` (a line that may wait: `lazy_lines.ts`). */
export function leftLine(name: string, reason: string | null): Uint8Array {
  return lazyLine(
    notice(`${name} left${reason ? ` (${sanitize(reason)})` : ""}`),
  );
}

/** `*** alice is now known as ally`. */
export function renamedLine(oldName: string, newName: string): Uint8Array {
  return notice(`${oldName} is now known as ${newName}`);
}

/** `[42] <alice> hi`: a room message, with its id, for a client with a session. */
export function taggedLine(id: number, line: Uint8Array): Uint8Array {
  const tag = encoder.encode(`[${id}] `);
  const bytes = new Uint8Array(tag.length + line.length);
  bytes.set(tag);
  bytes.set(line, tag.length);
  return bytes;
}

/** Lines of the session protocol (PROTOCOL.md, "Reconnecting"). */
export const session = {
  token: (token: string) => notice(`Session ${token}`),
  ack: (seq: number, id: number | null) =>
    notice(`Ack ${seq} ${id === null ? "-" : id}`),
  resumed: (name: string, missed: number) =>
    notice(
      `Resumed ${name}; ${
        count(missed, "missed message follows", "missed messages follow")
      }.`,
    ),
  unknown:
    "that session has ended (or the server forgot it); type your name to join again",
  usage: "usage: /session, or /session TOKEN LAST-ID",
  rejoined: (name: string) => notice(`${name} is back`),
  held: (name: string) =>
    `name "${name}" is kept for someone who is reconnecting`,
} as const;

/** Why a client was refused or dropped; each goes after `Disconnected: `. */
export const reasons = {
  full: (maxClients: number) =>
    `the server is full (${
      count(maxClients, "person", "people")
    }); try again later`,
  tooManyFrom: (address: string, limit: number) =>
    `too many connections from ${address} (the limit is ${limit})`,
  unterminated: (maxBytes: number) =>
    `sent more than ${maxBytes} bytes without a line end`,
  stalled: "not reading messages fast enough",
  lost: "connection lost",
  flooding: "flooding (too many lines too fast)",
  wrongPassword: "wrong password",
  noName: (ms: number) => `no name was chosen within ${seconds(ms)}`,
  silent: (ms: number) => `silent for more than ${seconds(ms)}`,
  shutdown: "the server is shutting down",
} as const;

/** The errors a client can get while staying connected. */
export const errors = {
  oversize: (bytes: number, limit: number) =>
    `your line was ${bytes} bytes; the limit is ${limit} bytes, so it was not sent`,
  tooFast: "you are sending too fast; slow down (lines are being dropped)",
  badName: (problem: string) => `${capitalize(problem)}; type another name`,
  nameTaken: (name: string) => `name "${name}" is taken`,
  meUsage: "usage: /me ACTION",
  msgUsage: "usage: /msg NAME TEXT",
  nobodyCalled: (name: string) =>
    `nobody called "${sanitize(name.slice(0, 32))}" is here; type /who`,
  unknownCommand: (command: string) =>
    `unknown command "${sanitize(command.slice(0, 32))}"; type /help`,
  hostQuit: "to stop the server, press Ctrl+C",
  hostNick: "the host's name is set with server.ts --name",
} as const;

/** Moderation: the room's announcements, replies and reasons. */
export const mod = {
  forModerators: (command: string) =>
    `${
      sanitize(command.slice(0, 32))
    } is for teachers (moderators); a teacher becomes one with /op PASSPHRASE`,
  usage: (usage: string) => `usage: ${usage}`,
  notModerator: "you are not a moderator",
  alreadyModerator: "you are a moderator already",
  operatorAlways: "the operator is always a moderator",
  noOpPassword:
    "this room has no moderator passphrase (the server sets one with CHATLAB_OP_PASSWORD or --op-password)",
  wrongOpPassword: "wrong moderator passphrase",
  notYourself: "you can't do that to yourself",
  notOperator: "the operator can't be removed, muted or banned",
  otherModerator: (name: string) =>
    `${name} is a moderator too; only the operator can do that`,
  notMuted: (name: string) => `${name} is not muted`,
  notBanned: (address: string) =>
    `no ban on "${sanitize(address.slice(0, 64))}"; type /bans`,
  opped: (name: string) => `${name} is now a moderator`,
  deopped: (name: string) => `${name} is no longer a moderator`,
  kicked: (by: string, name: string, reason: string | null) =>
    `${by} removed ${name} from the room${
      reason ? ` (${sanitize(reason)})` : ""
    }`,
  kickReason: (reason: string | null) =>
    `removed by teacher${reason ? ` (${reason})` : ""}`,
  muted: (by: string, name: string, minutes: number | undefined) =>
    `${by} muted ${name} ${forMinutes(minutes, "until unmuted")}`,
  unmuted: (by: string, name: string) => `${by} unmuted ${name}`,
  banned: (by: string, name: string, minutes: number | undefined) =>
    `${by} banned ${name} ${forMinutes(minutes, "until the room closes")}`,
  banReason: (minutes: number | undefined) =>
    `banned by teacher ${forMinutes(minutes, "until the room closes")}`,
  unbanned: (by: string, name: string) => `${by} lifted the ban on ${name}`,
  banList: (
    bans: readonly { address: string; name: string; until: number | null }[],
    now: number,
  ): string[] =>
    bans.length === 0 ? ["No bans."] : [
      `Bans (${bans.length}):`,
      ...bans.map(({ address, name, until }) =>
        `  ${address} (${name}) ${
          until === null
            ? "until the room closes"
            : `for ${
              Math.max(1, Math.ceil((until - now) / 60_000))
            } more minute(s)`
        }`
      ),
    ],
  topicIs: (topic: string) =>
    topic === "" ? "No topic is set." : `Topic: ${sanitize(topic)}`,
  topicSet: (by: string, topic: string) =>
    `${by} set the topic: ${sanitize(topic)}`,
  slow: (by: string, seconds: number) =>
    seconds === 0
      ? `${by} turned slow mode off`
      : `${by} turned slow mode on: one line every ${
        count(seconds, "second", "seconds")
      } per student`,
  quiet: (by: string, on: boolean) =>
    on
      ? `${by} turned quiet mode on: only teachers may talk`
      : `${by} turned quiet mode off: everyone may talk`,
  locked: (by: string, on: boolean) =>
    on ? `${by} locked the room: no new joins` : `${by} unlocked the room`,
  cleared: (by: string) => `${by} cleared the history`,
} as const;

function forMinutes(minutes: number | undefined, forever: string): string {
  return minutes === undefined
    ? forever
    : `for ${count(minutes, "minute", "minutes")}`;
}

/** `1 second`, `60 seconds`: a duration in milliseconds, in whole seconds. */
function seconds(ms: number): string {
  return count(Math.round(ms / 1000), "second", "seconds");
}

/** `1 person`, `100 people`. */
function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `Name` from `name`. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
