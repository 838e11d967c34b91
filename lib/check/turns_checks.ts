/**
 * The take-turns checks: what a program written from the lesson must
 * survive, whether it is the server (the checker connects) or the client
 * (the checker listens). A message is one `send()`; no `\n` is required,
 * though messages that need a boundary to be told apart carry one.
 *
 * @module
 */

import { type Check, failed, type Outcome, passed, shorten } from "./check.ts";
import { cpuShare } from "./cpu.ts";
import type { StartedProgram } from "./program.ts";
import { listeningAddresses } from "./listening.ts";
import {
  exitNote,
  openSession,
  playRound,
  type ProgramContext,
  sleep,
  startServer,
  type TurnsSession,
} from "./turns_session.ts";
import { pause, text } from "./wire_peer.ts";

/** The gap between two writes of one message: the reader sees two reads. */
const SPLIT_PAUSE_MS = 120;
/**
 * CPU share above which a program that should be waiting is spinning: a
 * waiting program uses next to none, and a spinning one gets its fair share
 * even on a busy machine.
 */
const SPINNING_SHARE = 0.2;
/** How long the CPU is watched after the other side closed. */
const CPU_WATCH_MS = 1000;

type TurnsCheck = Check<ProgramContext>;

/** The hint for a program that stops reading after its first message. */
const READ_EVERY_TURN =
  "Your program stopped receiving after a message: call recv() (or take the next line from your buffer) in every round of the loop, not only the first, and print each message.";

const needsProgram = (context: ProgramContext) =>
  context.command
    ? null
    : "the checker did not start the program, so it cannot type into it or read what it prints (use --server-cmd)";

/** A line the program printed that ends with `message`. */
function printed(message: string) {
  return (line: string) => line.trimEnd().endsWith(message);
}

/** What the program printed from line `from` on, and its last error line. */
function output(program: StartedProgram, from = 0): string {
  const lines = program.stdout.lines.slice(from).filter((line) =>
    line !== "" && !/^listening\b|^connected to\b/i.test(line)
  );
  const shown = lines.length === 0
    ? "printed nothing"
    : `printed ${
      lines.slice(0, 4).map((line) => shorten(line, 60)).join(", ")
    }${lines.length > 4 ? ` and ${lines.length - 4} more lines` : ""}`;
  const crash = crashLine(program);
  return crash ? `${shown}; crashed: ${crash}` : shown;
}

/** The exception line of a traceback (or other crash report) on stderr. */
function crashLine(program: StartedProgram): string | null {
  const stderr = program.stderr.lines;
  const crashed = stderr.some((line) =>
    /^Traceback \(most recent call last\)|panicked at|^error: Uncaught|^Exception in thread/
      .test(line)
  );
  if (!crashed) return null;
  return stderr.filter((line) => /\S/.test(line)).at(-1)!.trim();
}

/** Opens a session and runs `body`; a crash during it is the verdict. */
async function inSession(
  context: ProgramContext,
  stack: AsyncDisposableStack,
  body: (session: TurnsSession, program: StartedProgram) => Promise<Outcome>,
): Promise<Outcome> {
  const session = await openSession(context, stack);
  return await body(session, session.program!);
}

/** What {@linkcode warmUp} does, for the report. */
const WARM_UP = 'first a round with "hello\\n"';

/**
 * A first round whose message ends in `\n`: it tells a program that frames
 * by quiet time, as chatlab does, that this side ends its messages with
 * `\n`, so the split that follows is one message by any reasonable rule.
 */
async function warmUp(
  session: TurnsSession,
  context: ProgramContext,
): Promise<number> {
  await playRound(session, context, [text("hello\n")], "hi");
  const program = session.program!;
  await program.stdout.waitFor(printed("hello"), context.waitMs);
  return program.stdout.lines.length;
}

/** The hint when nothing at all was printed after line `from`: reading stopped. */
function stoppedReading(
  program: StartedProgram,
  from: number,
): string | undefined {
  const after = program.stdout.lines.slice(from).filter((line) => line.trim());
  return after.length === 0 && !crashLine(program)
    ? READ_EVERY_TURN
    : undefined;
}

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

const splitRead: TurnsCheck = {
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

const mergedRead: TurnsCheck = {
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

const splitUtf8: TurnsCheck = {
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

const invalidUtf8: TurnsCheck = {
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

const exact1024: TurnsCheck = {
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

const over1024: TurnsCheck = {
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

const otherSideCloses: TurnsCheck = {
  id: "other-side-closes",
  title: "the other side closing: it ends or says so",
  why:
    "When the other person quits, recv() returns empty bytes; a program that does not check loops printing nothing, spins at 100% CPU, or crashes.",
  hint:
    "recv() returns b'' when the other side closes: check `if not data:`, say so, and stop the loop (break).",
  notApplicable: needsProgram,
  run: (context, stack) =>
    inSession(context, stack, async (session, program) => {
      await playRound(session, context, [text("bye for now")], "see you");
      await program.stdout.waitFor(printed("bye for now"), context.waitMs);
      const from = program.stdout.lines.length;
      await session.peer.close();
      const sent =
        "one round, then closed the connection; then typed two more lines at its keyboard, as its user would";
      // Its user goes on typing, as a person at the keyboard would.
      await sleep(150);
      await program.type("are you still there?");
      const cpu = await cpuShare(program.pid, CPU_WATCH_MS);
      await program.type("hello?");
      await program.waitForExit(context.waitMs / 2);
      const said = program.stdout.lines.slice(from).some((line) =>
        /clos|disconnect|left|gone|ended|quit|bye/i.test(line) &&
        !/bye for now/.test(line)
      );
      const cpuText = cpu === null
        ? "CPU not measured (no /proc)"
        : `${Math.round(cpu * 100)}% CPU`;
      const got = `${
        program.exit ? `exited with code ${program.exit.code}` : "still running"
      }, ${cpuText} after the close; ${output(program, from)}`;
      if (crashLine(program)) {
        return failed(sent, got);
      }
      if (cpu !== null && cpu > SPINNING_SHARE) {
        return failed(
          sent,
          got,
          `After the other side left, your program kept calling recv() and used ${
            Math.round(cpu * 100)
          }% CPU: recv() returns empty bytes when the other side closes; stop the loop then.`,
        );
      }
      const emptyMessages = program.stdout.lines.slice(from).some((line) =>
        /^received:?\s*$/i.test(line.trim())
      );
      return (program.exit || said) && !emptyMessages
        ? passed(sent, got)
        : failed(sent, got);
    }),
};

const restart: TurnsCheck = {
  id: "restart",
  title: "starts again at once on the same port (SO_REUSEADDR)",
  why:
    "After a server stops, its port stays blocked for about a minute (TIME_WAIT) unless it sets SO_REUSEADDR, and a student restarting it gets 'Address already in use'.",
  hint:
    "Before bind(), call serverSock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1).",
  notApplicable: (context) =>
    context.role !== "server"
      ? "only for a server"
      : !context.command
      ? "the checker did not start the server (use --server-cmd)"
      : !context.command.includes("{port}") && context.port === undefined
      ? "the server picks a new port each run (give --port, or write {port} in --server-cmd)"
      : null,
  run: async (context, stack) => {
    const first = new AsyncDisposableStack();
    let port: number;
    try {
      const session = await openSession(context, first);
      port = session.port;
      await playRound(session, context, [text("before the restart")], "ok");
      // Killed while connected: its end closes first and is left in TIME_WAIT.
      session.program!.kill();
      await session.program!.exited;
      await session.peer.waitForEnd(context.waitMs);
    } finally {
      await first.disposeAsync();
    }
    const again = {
      ...context,
      port,
      command: context.command!.replaceAll("{port}", String(port)),
    };
    const sent =
      `started it on port ${port}, exchanged a message, killed it while connected, and started it again at once`;
    const session = await openSession(again, stack).catch((error: Error) =>
      error
    );
    if (session instanceof Error) return failed(sent, session.message);
    return passed(sent, "it listened again and accepted a connection");
  },
};

const bindAddress: TurnsCheck = {
  id: "bind-address",
  title: "listens on the address it should",
  why:
    "127.0.0.1 is this computer only; 0.0.0.0 opens the chat to every network the computer is on, which should be a choice, not an accident.",
  hint:
    'Bind the address you mean: serverSock.bind(("127.0.0.1", port)) for this computer only (the checker expects --host).',
  notApplicable: (context) =>
    context.role !== "server"
      ? "only for a server"
      : !context.command
      ? "the checker did not start the server (use --server-cmd)"
      : null,
  run: async (context, stack) => {
    const { program, port } = await startServer(context, stack);
    const sent =
      `started it and looked up its listening sockets on port ${port} in /proc/net/tcp`;
    // Looked up before anyone connects: the lesson's server stops listening
    // once it has its one client.
    const deadline = Date.now() + context.startMs;
    let addresses = await listeningAddresses(port);
    while (addresses?.length === 0 && Date.now() < deadline && !program.exit) {
      await sleep(50);
      addresses = await listeningAddresses(port);
    }
    if (addresses === null) {
      return passed(sent, "not visible here (no /proc): skipped");
    }
    const got = `listens on ${addresses.join(", ") || "nothing"}`;
    return addresses.includes(context.host)
      ? passed(sent, got)
      : failed(sent, `${got}; expected ${context.host}${exitNote(program)}`);
  },
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
