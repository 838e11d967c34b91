/**
 * What the take-turns checks read in a program's output, shared by every
 * group of them: what it printed, whether it crashed, and the hints that
 * follow from those. Kept apart so each group's file holds only checks.
 *
 * @module
 */

import { type Check, type Outcome, shorten } from "./check.ts";
import type { StartedProgram } from "./program.ts";
import {
  openSession,
  playRound,
  type ProgramContext,
  type TurnsSession,
} from "./turns_session.ts";
import { text } from "./wire_peer.ts";

/** A take-turns check. */
export type TurnsCheck = Check<ProgramContext>;

/** The hint for a program that stops reading after its first message. */
export const READ_EVERY_TURN =
  "Your program stopped receiving after a message: call recv() (or take the next line from your buffer) in every round of the loop, not only the first, and print each message.";

/** Why a check that types into the program cannot run without its command. */
export const needsProgram = (context: ProgramContext): string | null =>
  context.command
    ? null
    : "the checker did not start the program, so it cannot type into it or read what it prints (use --server-cmd)";

/** A line the program printed that ends with `message`. */
export function printed(message: string): (line: string) => boolean {
  return (line: string) => line.trimEnd().endsWith(message);
}

/** What the program printed from line `from` on, and its last error line. */
export function output(program: StartedProgram, from = 0): string {
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
export function crashLine(program: StartedProgram): string | null {
  const stderr = program.stderr.lines;
  const crashed = stderr.some((line) =>
    /^Traceback \(most recent call last\)|panicked at|^error: Uncaught|^Exception in thread/
      .test(line)
  );
  if (!crashed) return null;
  return stderr.filter((line) => /\S/.test(line)).at(-1)!.trim();
}

/** Opens a session and runs `body`; a crash during it is the verdict. */
export async function inSession(
  context: ProgramContext,
  stack: AsyncDisposableStack,
  body: (session: TurnsSession, program: StartedProgram) => Promise<Outcome>,
): Promise<Outcome> {
  const session = await openSession(context, stack);
  return await body(session, session.program!);
}

/** What {@linkcode warmUp} does, for the report. */
export const WARM_UP = 'first a round with "hello\\n"';

/**
 * A first round whose message ends in `\n`: it tells a program that frames
 * by quiet time, as chatlab does, that this side ends its messages with
 * `\n`, so the split that follows is one message by any reasonable rule.
 */
export async function warmUp(
  session: TurnsSession,
  context: ProgramContext,
): Promise<number> {
  await playRound(session, context, [text("hello\n")], "hi");
  const program = session.program!;
  await program.stdout.waitFor(printed("hello"), context.waitMs);
  return program.stdout.lines.length;
}

/** The hint when nothing at all was printed after line `from`: reading stopped. */
export function stoppedReading(
  program: StartedProgram,
  from: number,
): string | undefined {
  const after = program.stdout.lines.slice(from).filter((line) => line.trim());
  return after.length === 0 && !crashLine(program)
    ? READ_EVERY_TURN
    : undefined;
}
