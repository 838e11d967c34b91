/**
 * The take-turns checks of a program's life around the conversation: what
 * it does when the other side closes, whether it can start again at once on
 * the same port, and which address it listens on. They watch the process
 * (its exit, its CPU, its sockets), not only what it prints.
 *
 * @module
 */

import { failed, passed } from "./check.ts";
import { cpuShare } from "./cpu.ts";
import { listeningAddresses } from "./listening.ts";
import {
  exitNote,
  openSession,
  playRound,
  sleep,
  startServer,
} from "./turns_session.ts";
import { text } from "./wire_peer.ts";
import {
  crashLine,
  inSession,
  needsProgram,
  output,
  printed,
  type TurnsCheck,
} from "./turns_output.ts";

/**
 * CPU share above which a program that should be waiting is spinning: a
 * waiting program uses next to none, and a spinning one gets its fair share
 * even on a busy machine.
 */
const SPINNING_SHARE = 0.2;
/** How long the CPU is watched after the other side closed. */
const CPU_WATCH_MS = 1000;

/** The other side closing: the program ends or says so. */
export const otherSideCloses: TurnsCheck = {
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

/** Starting again at once on the same port. */
export const restart: TurnsCheck = {
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

/** Listening on the address it should. */
export const bindAddress: TurnsCheck = {
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
