/**
 * The take-turns checks: what a program written from the lesson must
 * survive, whether it is the server (the checker connects) or the client
 * (the checker listens). A message is one `send()`; no `\n` is required,
 * though messages that need a boundary to be told apart carry one.
 *
 * @module
 */

import { failed, passed, shorten } from "./check.ts";
import { openSession, playRound } from "./turns_session.ts";
import { text } from "./wire_peer.ts";
import {
  inSession,
  needsProgram,
  output,
  printed,
  READ_EVERY_TURN,
  type TurnsCheck,
} from "./turns_output.ts";
import {
  exact1024,
  invalidUtf8,
  mergedRead,
  over1024,
  splitRead,
  splitUtf8,
} from "./turns_framing_checks.ts";
import {
  bindAddress,
  otherSideCloses,
  restart,
} from "./turns_ending_checks.ts";

const connect: TurnsCheck = {
  id: "connect",
  title: "accepts a connection / connects",
  why: "Nothing else can work until the two programs are connected.",
  hint:
    "Check the address and port in bind()/connect(), and call listen() and accept() on the server.",
  run: async (context, stack) => {
    const session = await openSession(context, stack);
    return passed(
      context.role === "server"
        ? `connected to port ${session.port}`
        : `listened on port ${session.port}`,
      "connected",
    );
  },
};

const printsReceived: TurnsCheck = {
  id: "prints-received",
  title: "receives a message and prints it as Received: ...",
  why:
    "The lesson's programs show each message as `Received: <text>`, so the other person can read it.",
  hint:
    'After recv(), decode the bytes and print them: print("Received:", data.decode()).',
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      const message = "hello from the checker";
      await playRound(session, context, [text(message)], "hello back");
      const at = await program.stdout.waitFor(
        (line) => /received/i.test(line) && printed(message)(line),
        context.waitMs,
      );
      const sent = `sent ${shorten(message)} in one send(), no \\n`;
      return at >= 0
        ? passed(sent, `printed ${shorten(program.stdout.lines[at])}`)
        : failed(sent, output(program));
    }),
};

const takesTurns: TurnsCheck = {
  id: "takes-turns",
  title: "answers in turn, round after round",
  why:
    "Taking turns is the lesson's protocol: each side sends one message, then waits for the other's.",
  hint:
    "Loop: input(), send(), recv(), print(); each message you type must be sent as soon as it is your turn.",
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      const rounds = [["first from the checker", "first from you"], [
        "second from the checker",
        "second from you",
      ], ["third from the checker", "third from you"]];
      const sent = "three rounds: a message each way per round";
      for (const [index, [message, reply]] of rounds.entries()) {
        const replied = await playRound(
          session,
          context,
          [text(message)],
          reply,
        );
        if (!replied) {
          return failed(
            sent,
            `round ${index + 1}: your program did not send ${
              shorten(reply)
            } typed at its keyboard; ${output(program)}`,
          );
        }
        const at = await program.stdout.waitFor(
          printed(message),
          context.waitMs,
        );
        if (at < 0) {
          return failed(
            sent,
            `round ${index + 1}: ${shorten(message)} was not printed; ${
              output(program)
            }`,
            index > 0 ? READ_EVERY_TURN : undefined,
          );
        }
      }
      return passed(sent, "both sides sent and printed every message in turn");
    }),
};

/** Every take-turns check, in the order of the report card. */
export const TURNS_CHECKS: TurnsCheck[] = [
  connect,
  printsReceived,
  takesTurns,
  splitRead,
  mergedRead,
  splitUtf8,
  invalidUtf8,
  exact1024,
  over1024,
  otherSideCloses,
  restart,
  bindAddress,
];
