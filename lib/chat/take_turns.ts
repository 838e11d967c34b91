/**
 * The lesson's chat: each side in turn reads a line from the keyboard, sends
 * it, then waits for the other's message and prints `Received: <text>`.
 *
 * @module
 */

import { TerminalKeyboard } from "./chat_console.ts";
import { isPeerGone, LineReader } from "../wire/line_reader.ts";
import { encodeMessage, tooLongText } from "../wire/message.ts";
import { MAX_LINE_BYTES } from "../wire/line_splitter.ts";
import { sanitize } from "../wire/sanitize.ts";
import { writeAll } from "../wire/write_all.ts";

/** The prompt shown before each message, only in a terminal. */
export const PROMPT = "You: ";

/** Why a take-turns chat ended. */
export type TakeTurnsEnd = "input ended" | "peer closed";

/** Options for {@linkcode takeTurns}. */
export interface TakeTurnsOptions {
  /** Whether this side sends the first message (the client does). */
  speakFirst: boolean;
  /**
   * The longest message sent or received, in bytes.
   *
   * @default {1024}
   */
  maxLineBytes?: number;
}

/** Chats over `conn`, taking turns, until either side stops. */
export async function takeTurns(
  conn: Deno.Conn,
  options: TakeTurnsOptions,
): Promise<TakeTurnsEnd> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  // In a terminal, lines are edited as in a shell; TerminalKeyboard shows PROMPT.
  const keyboard = Deno.stdin.isTerminal() && Deno.stdout.isTerminal()
    ? new TerminalKeyboard({ prompt: PROMPT, maxLineBytes })
    : new LineReader(Deno.stdin, { maxLineBytes });
  const peer = new LineReader(conn, { maxLineBytes, refuseTls: true });
  let myTurn = options.speakFirst;
  while (true) {
    if (myTurn) {
      const sent = await sendOneMessage(conn, keyboard, maxLineBytes);
      if (sent !== "sent") return sent;
    } else {
      if (!await receiveOneMessage(peer, maxLineBytes)) return "peer closed";
    }
    myTurn = !myTurn;
  }
}

/** Reads lines from the keyboard until one fits, and sends it. */
async function sendOneMessage(
  conn: Deno.Conn,
  keyboard: Pick<LineReader, "readFrame">,
  maxLineBytes: number,
): Promise<"sent" | TakeTurnsEnd> {
  while (true) {
    const frame = await keyboard.readFrame();
    if (frame === null) return "input ended";
    if (frame.kind === "oversize") {
      console.error(`error: ${tooLongText(frame.bytes, maxLineBytes)}`);
      continue;
    }
    try {
      await writeAll(conn, encodeMessage(frame.text, maxLineBytes));
    } catch (error) {
      if (isPeerGone(error)) return "peer closed";
      throw error;
    }
    return "sent";
  }
}

/** Waits for the other side's message and prints it. */
async function receiveOneMessage(
  peer: LineReader,
  maxLineBytes: number,
): Promise<boolean> {
  const frame = await peer.readMessage();
  if (frame === null) return false;
  if (frame.kind === "oversize") {
    console.log(
      `(The other side sent ${frame.bytes} bytes in one message; the limit is ${maxLineBytes} bytes, so it was dropped.)`,
    );
  } else {
    console.log(`Received: ${sanitize(frame.text)}`);
  }
  return true;
}
