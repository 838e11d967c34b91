/**
 * One take-turns conversation between the checker and the student's
 * program: the program started afresh (or reached where it runs), the
 * checker's end of the connection, and a round of the lesson's loop.
 *
 * @module
 */

import { SetupFailure } from "./check.ts";
import {
  fillCommand,
  hasPortPlaceholder,
  type StartedProgram,
  startProgram,
} from "./program.ts";
import { type Piece, WirePeer } from "./wire_peer.ts";
import { formatAddress } from "../cli/errors.ts";

/** Which side the student's program plays; the checker plays the other. */
export type Role = "server" | "client";

/** What every check needs to know about the program (take-turns and room). */
export interface ProgramContext {
  /** The program's side. */
  role: Role;
  /** The command that starts it (`{host}` and `{port}` are filled in). */
  command?: string;
  /** Where the command runs (where the teacher typed `deno task check`). */
  cwd?: string;
  /** A server already running, when there is no command. */
  address?: { host: string; port: number };
  /** The address it should use (`--host`). */
  host: string;
  /** Its port, when the command does not say `{port}`. */
  port?: number;
  /** How long to wait for a reaction the check expects. */
  waitMs: number;
  /** How long the program may take to start listening or connecting. */
  startMs: number;
}

/** A conversation in progress. */
export interface TurnsSession {
  /** The program, when the checker started it. */
  program: StartedProgram | null;
  /** The checker's end of the connection. */
  peer: WirePeer;
  /** The port the server listens on. */
  port: number;
  /** The first line of the program's output after the two connected. */
  outputFrom: number;
}

/** How long to wait for a reply from a program that speaks first. */
const SETTLE_MS = 300;

/** Starts the program (if there is a command) and connects the two sides. */
export async function openSession(
  context: ProgramContext,
  stack: AsyncDisposableStack,
): Promise<TurnsSession> {
  return context.role === "server"
    ? await connectToServer(context, stack)
    : await acceptClient(context, stack);
}

/** The port the checker will give a program started with `{port}`. */
export function freePort(host: string): number {
  using listener = Deno.listen({ hostname: host, port: 0 });
  return listener.addr.port;
}

/**
 * One round of the lesson's loop: the program's user types `reply`, the
 * checker delivers `pieces`; resolves to whether `reply` reached the checker.
 * A program that speaks first is given time to send and reach its `recv()`
 * before the pieces arrive, so they arrive as separate reads.
 */
export async function playRound(
  session: TurnsSession,
  context: ProgramContext,
  pieces: Piece[],
  reply: string,
): Promise<boolean> {
  await session.program?.type(reply);
  const early = await session.peer.take(reply, SETTLE_MS);
  await session.peer.deliver(pieces);
  return early || await session.peer.take(reply, context.waitMs);
}

async function connectToServer(
  context: ProgramContext,
  stack: AsyncDisposableStack,
): Promise<TurnsSession> {
  if (!context.command) {
    const { host, port } = context.address!;
    const conn = await connectWithin(host, port, context.startMs, null);
    return adopt(conn, null, port, stack);
  }
  const { program, port } = await startServer(context, stack);
  const conn = await connectWithin(
    context.host,
    port,
    context.startMs,
    program,
  );
  return adopt(conn, program, port, stack);
}

/**
 * Starts the server program and finds its port ({port}, --port, or the
 * port it prints), without connecting to it.
 */
export async function startServer(
  context: ProgramContext,
  stack: AsyncDisposableStack,
): Promise<{ program: StartedProgram; port: number }> {
  const command = context.command!;
  const port = hasPortPlaceholder(command)
    ? freePort(context.host)
    : context.port;
  const program = startProgram(
    stack,
    fillCommand(command, context.host, port ?? 0),
    { cwd: context.cwd },
  );
  return {
    program,
    port: port ?? await portFromOutput(program, context.startMs),
  };
}

async function acceptClient(
  context: ProgramContext,
  stack: AsyncDisposableStack,
): Promise<TurnsSession> {
  const command = context.command!;
  const wanted = hasPortPlaceholder(command) ? 0 : context.port ?? 0;
  const listener = Deno.listen({ hostname: context.host, port: wanted });
  stack.defer(() => listener.close());
  const port = listener.addr.port;
  const program = startProgram(
    stack,
    fillCommand(command, context.host, port),
    { cwd: context.cwd },
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const accepted = await Promise.race([
    // Closed when the check ends without a client: that is no news.
    listener.accept().catch((error) => {
      if (error instanceof Deno.errors.BadResource) return null;
      throw error;
    }),
    program.exited.then(() => null),
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), context.startMs);
    }),
  ]);
  clearTimeout(timer);
  if (accepted === null && program.exit) {
    throw new SetupFailure(
      `your client ended before connecting${exitNote(program)}`,
      `listened on ${
        formatAddress(context.host, port)
      } and started: ${program.command}`,
      ENDED_EARLY,
    );
  }
  if (accepted === null) {
    throw new SetupFailure(
      `your client did not connect to ${
        formatAddress(context.host, port)
      } within ${context.startMs / 1000} s${exitNote(program)}`,
      `listened on ${
        formatAddress(context.host, port)
      } and started: ${program.command}`,
      "Connect to the address and port the checker gives (write {host} and {port} in --client-cmd where your program takes them).",
    );
  }
  return adopt(accepted, program, port, stack);
}

function adopt(
  conn: Deno.Conn,
  program: StartedProgram | null,
  port: number,
  stack: AsyncDisposableStack,
): TurnsSession {
  const peer = new WirePeer(conn);
  stack.defer(() => peer.close());
  return { program, peer, port, outputFrom: program?.stdout.lines.length ?? 0 };
}

/** Connects, retrying while the program starts up. */
async function connectWithin(
  host: string,
  port: number,
  ms: number,
  program: StartedProgram | null,
): Promise<Deno.Conn> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  while (Date.now() < deadline && !program?.exit) {
    try {
      return await Deno.connect({ hostname: host, port });
    } catch (error) {
      lastError = error;
      await sleep(50);
    }
  }
  const reason = lastError instanceof Error ? lastError.message : "timed out";
  if (program?.exit) {
    throw new SetupFailure(
      `it ended before accepting a connection${exitNote(program)}`,
      `started: ${program.command}`,
      ENDED_EARLY,
    );
  }
  throw new SetupFailure(
    `could not connect to ${formatAddress(host, port)} within ${
      ms / 1000
    } s (${reason})`,
    program ? `started: ${program.command}` : "connected",
    "Make the server listen on the address and port the checker uses: give --port, or write {port} in --server-cmd where your program takes its port.",
  );
}

/** The hint for a program that ended before it could be checked. */
const ENDED_EARLY =
  "Your program ended as soon as it started: run the same command yourself and fix the error it shows.";

/** The port from a line such as `Listening on 127.0.0.1:41877`. */
async function portFromOutput(
  program: StartedProgram,
  ms: number,
): Promise<number> {
  const pattern = /listen\w*\b.*?(\d{1,5})\D*$/i;
  const at = await program.stdout.waitFor((line) => pattern.test(line), ms);
  if (at < 0) {
    throw new SetupFailure(
      `no port: the command has no {port} and no line saying "Listening on ... PORT" came within ${
        ms / 1000
      } s${exitNote(program)}`,
      `started: ${program.command}`,
      "Tell the checker the port: --port 5555, or {port} in --server-cmd where your program takes it.",
    );
  }
  return Number(program.stdout.lines[at].match(pattern)![1]);
}

/** ` (it exited with code N: last stderr line)` once the program has exited. */
export function exitNote(program: StartedProgram): string {
  const exit = program.exit;
  if (!exit) return "";
  const last = program.stderr.lines.filter((line) => line.trim()).at(-1);
  return `; it exited with code ${exit.code}${last ? `: ${last.trim()}` : ""}`;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
