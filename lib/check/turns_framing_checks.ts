/**
 * The take-turns checks of framing: a message is bytes on a stream, so one
 * can arrive in two reads, two in one, a character split between reads,
 * bytes that are not UTF-8, or more than one recv(1024) returns. These are
 * the lesson's real lessons, so each check says which rule broke.
 *
 * @module
 */

import { failed, passed, shorten } from "./check.ts";
import { playRound } from "./turns_session.ts";
import { pause, text } from "./wire_peer.ts";
import {
  crashLine,
  inSession,
  needsProgram,
  output,
  printed,
  READ_EVERY_TURN,
  stoppedReading,
  type TurnsCheck,
  WARM_UP,
  warmUp,
} from "./turns_output.ts";

/** The gap between two writes of one message: the reader sees two reads. */
const SPLIT_PAUSE_MS = 120;

/** One message that arrives in two reads. */
export const splitRead: TurnsCheck = {
  id: "split-read",
  title: "one message that arrives in two reads",
  why:
    "TCP is a stream: on a real network one send() can arrive in pieces, and recv() returns whatever has arrived.",
  hint:
    "One recv() is not one message. End each message with \\n and keep calling recv(), adding to a buffer, until the buffer holds a \\n; then print the line.",
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      const whole = "one message in two reads";
      const from = await warmUp(session, context);
      await playRound(session, context, [
        text("one message "),
        pause(SPLIT_PAUSE_MS),
        text("in two reads\n"),
      ], "got it");
      const sent =
        `${WARM_UP}; then "one message " and, ${SPLIT_PAUSE_MS} ms later, "in two reads\\n" (two writes, one message)`;
      const at = await program.stdout.waitFor(
        (line) => printed(whole)(line) && !/received:?\s*$/i.test(line),
        context.waitMs,
      );
      const halves = program.stdout.lines.some(printed("one message"));
      return at >= 0 && !halves
        ? passed(sent, `printed ${shorten(program.stdout.lines[at])}`)
        : failed(sent, output(program), stoppedReading(program, from));
    }),
};

/** Two messages that arrive in one read. */
export const mergedRead: TurnsCheck = {
  id: "merged-read",
  title: "two messages that arrive in one read",
  why:
    "Two quick messages can reach the other side together, in one recv(), and must still be two messages.",
  hint:
    "Split what recv() returns at each \\n and handle every complete line; keep the rest for the next recv().",
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      const sent = `"first of two\\nsecond of two\\n" in one write`;
      await playRound(
        session,
        context,
        [text("first of two\nsecond of two\n")],
        "answer one",
      );
      const first = await program.stdout.waitFor(
        (line) => /received/i.test(line) && printed("first of two")(line),
        context.waitMs,
      );
      await playRound(session, context, [], "answer two");
      const second = await program.stdout.waitFor(
        (line) => /received/i.test(line) && printed("second of two")(line),
        context.waitMs,
      );
      if (first >= 0 && second > first) {
        return passed(sent, "printed both as two Received: lines");
      }
      // Printed whole but never the second: the reading stopped, not the framing.
      const glued = program.stdout.lines.some((line) =>
        line.trim() === "second of two" ||
        /first of two.*second of two/.test(line)
      );
      return failed(
        sent,
        output(program),
        first >= 0 && !glued ? READ_EVERY_TURN : undefined,
      );
    }),
};

/** A UTF-8 character split across two reads. */
export const splitUtf8: TurnsCheck = {
  id: "split-utf8",
  title: "a UTF-8 character split across two reads",
  why:
    "A character such as é is two bytes, and the network can deliver them in different reads.",
  hint:
    "Decode a whole message, not each recv(): collect bytes until the \\n, then .decode() the line (a byte string ending halfway through é makes .decode() raise UnicodeDecodeError).",
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      const e = new TextEncoder().encode("é"); // C3 A9
      const from = await warmUp(session, context);
      await playRound(session, context, [
        new Uint8Array([...text("caf"), e[0]]),
        pause(SPLIT_PAUSE_MS),
        new Uint8Array([e[1], ...text(" au lait\n")]),
      ], "merci");
      const sent =
        `${WARM_UP}; then "caf" and the first byte of é (0xC3), and ${SPLIT_PAUSE_MS} ms later 0xA9 and " au lait\\n"`;
      const at = await program.stdout.waitFor(
        printed("café au lait"),
        context.waitMs,
      );
      return at >= 0 && !crashLine(program)
        ? passed(sent, `printed ${shorten(program.stdout.lines[at])}`)
        : failed(sent, output(program), stoppedReading(program, from));
    }),
};

/** Bytes that are not UTF-8. */
export const invalidUtf8: TurnsCheck = {
  id: "invalid-utf8",
  title: "bytes that are not UTF-8 do not crash it",
  why:
    "Any program on the network can send any bytes; one bad message must not end the chat.",
  hint:
    'Decode leniently: data.decode(errors="replace") shows bad bytes as � instead of raising UnicodeDecodeError.',
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      await playRound(session, context, [
        new Uint8Array([0xff, 0xfe, ...text(" then text\n")]),
      ], "still here");
      const sent = `the bytes 0xFF 0xFE, then " then text\\n"`;
      const at = await program.stdout.waitFor(
        printed(" then text"),
        context.waitMs,
      );
      const alive = await playRound(
        session,
        context,
        [text("and more\n")],
        "ok",
      );
      return at >= 0 && alive && !crashLine(program)
        ? passed(
          sent,
          `printed ${shorten(program.stdout.lines[at])} and went on`,
        )
        : failed(sent, output(program));
    }),
};

/** A message of `size` ASCII bytes whose end shows where it was cut. */
function longMessage(size: number): string {
  const tail = `<end of ${size}>`;
  let body = "";
  for (let i = 0; body.length < size - tail.length; i++) {
    body += String.fromCharCode(97 + (i % 26));
  }
  return body + tail;
}

/** A message of exactly 1024 bytes. */
export const exact1024: TurnsCheck = {
  id: "exact-1024",
  title: "a message of exactly 1024 bytes",
  why:
    "1024 bytes is the lesson's largest message (recv(1024)); it must arrive whole.",
  hint:
    "A message of exactly your limit must fit: read until the end of the message, not just one recv(1023).",
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      const message = longMessage(1024);
      await playRound(session, context, [text(message)], "long one received");
      const sent =
        "1024 bytes (letters ending in <end of 1024>) in one send(), no \\n";
      const at = await program.stdout.waitFor(printed(message), context.waitMs);
      return at >= 0
        ? passed(sent, "printed all 1024 bytes")
        : failed(sent, output(program));
    }),
};

/** A message over 1024 bytes. */
export const over1024: TurnsCheck = {
  id: "over-1024",
  title: "a message over 1024 bytes is not cut or glued",
  why:
    "A longer message must arrive whole or be refused with a notice; cut silently, its end is lost or glued to the next message.",
  hint:
    "recv(1024) returns at most 1024 bytes and leaves the rest for the next recv(), which then glues it to the next message. Read until the end of the message (\\n), or refuse a longer one with a notice.",
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      const message = longMessage(1500);
      await playRound(session, context, [text(message)], "that was long");
      await playRound(session, context, [text("after the long one")], "ok");
      const sent =
        `1500 bytes (ending in <end of 1500>) in one send(), then "after the long one"`;
      const next = await program.stdout.waitFor(
        (line) => line.trimEnd().match(/(^|\s)after the long one$/) !== null,
        context.waitMs,
      );
      const cut = program.stdout.lines.find((line) =>
        (line.includes(message.slice(0, 40)) && !line.includes(message)) ||
        line.includes("<end of 1500>") && !line.includes(message)
      );
      if (cut !== undefined) {
        const glued = cut.includes("after the long one");
        return failed(
          sent,
          `${
            glued ? "cut it and glued its end to the next message" : "cut it"
          }: ${output(program)}`,
        );
      }
      return next >= 0 ? passed(sent, `${output(program)}`) : failed(
        sent,
        `the next message was not printed on its own: ${output(program)}`,
        READ_EVERY_TURN,
      );
    }),
};
