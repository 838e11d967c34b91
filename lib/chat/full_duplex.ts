/**
 * The lesson's next exercise: send whenever you want. Two loops run side by
 * side on one thread, one typing and one receiving; no threads are needed.
 *
 * @module
 */

import { ChatConsole } from "./chat_console.ts";
import type { RoomMembers } from "./room_members.ts";
import { MAX_LINE_BYTES } from "../wire/line_splitter.ts";
import { LineReader } from "../wire/line_reader.ts";
import { encodeMessage, tooLongText } from "../wire/message.ts";
import { MAX_EXPANSION, sanitize } from "../wire/sanitize.ts";
import { within } from "../wire/within.ts";
import { writeAll } from "../wire/write_all.ts";

/** How long a room client waits for the server's first line. */
export const WELCOME_TIMEOUT_MS = 10_000;

/** A room's answer to a right passphrase, which goes on to ask for the name. */
const PASSWORD_ACCEPTED = /^\*\*\* Password accepted\./;

/** Why a free-running chat ended. */
export type ChatEnd = "input ended" | "peer closed" | "disconnected";

/** Options for {@linkcode chatFreely}. */
export interface ChatFreelyOptions {
  /**
   * Put in front of each incoming line: the lesson's `"Received: "` between
   * two people, nothing in a room (the server names the sender).
   *
   * @default {"Received: "}
   */
  label?: string;
  /**
   * Lines to send before anything typed, chosen from the first line the
   * other side sends (a room's welcome: a passphrase if it asks, a name).
   * What it throws ends the chat: {@linkcode chatFreely} throws it.
   */
  greet?: (welcome: string) => string[];
  /**
   * The longest message sent, in bytes.
   *
   * @default {1024}
   */
  maxLineBytes?: number;
  /**
   * In a room: who is in it, learnt from what arrives, for Tab completion
   * and colours in a terminal.
   *
   * @default {undefined}
   */
  room?: RoomMembers;
  /**
   * Put the local time in front of each incoming line.
   *
   * @default {false}
   */
  timestamps?: boolean;
}

/** Chats over `conn` until the other side closes it. */
export async function chatFreely(
  conn: Deno.Conn,
  options: ChatFreelyOptions = {},
): Promise<ChatEnd> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const label = options.label ?? "Received: ";
  const screen = new ChatConsole({
    maxLineBytes,
    room: options.room,
    timestamps: options.timestamps,
  });
  let inputEnded = false;
  let disconnected = false;
  let welcomed = false;
  let failure: Error | null = null;
  const { promise: welcome, resolve: welcomeArrived } = Promise.withResolvers<
    string
  >();

  const sending = (async () => {
    if (options.greet) {
      const greeting = await within(welcome, WELCOME_TIMEOUT_MS);
      if (greeting === null) {
        failure = new Error(
          `The server sent no welcome within ${
            WELCOME_TIMEOUT_MS / 1000
          } seconds: is it a chatlab room, and does it use TLS (then add --tls)?`,
        );
        conn.close();
        return;
      }
      for (const line of options.greet(greeting)) {
        await writeAll(conn, encodeMessage(line, maxLineBytes));
      }
    }
    for await (const frame of screen.typedLines()) {
      if (frame.kind === "oversize") {
        screen.show(`error: ${tooLongText(frame.bytes, maxLineBytes)}`);
        continue;
      }
      await writeAll(conn, encodeMessage(frame.text, maxLineBytes));
      if (/^\/quit\b/i.test(frame.text)) break;
    }
    inputEnded = true;
    // Half-close: the other side sees the end, and we still read its last words.
    await conn.closeWrite();
  })();
  sending.catch((error) => {
    // The connection going away stops sending; reading tells the story.
    if (isConnectionGone(error)) return;
    // Anything else (a greeting that cannot be made) ends the chat with it.
    failure ??= error instanceof Error ? error : new Error(String(error));
    try {
      conn.close();
    } catch (closeError) {
      if (!(closeError instanceof Deno.errors.BadResource)) throw closeError;
    }
  });

  // The room adds a `<name> ` prefix, and making text safe can grow it.
  const peer = new LineReader(conn, {
    maxLineBytes: MAX_EXPANSION * maxLineBytes + 64,
    refuseTls: true,
  });
  try {
    for (let frame; (frame = await peer.readFrame()) !== null;) {
      if (frame.kind === "oversize") {
        screen.show(
          `(A line of ${frame.bytes} bytes arrived; it was too long to show.)`,
        );
        continue;
      }
      // A welcome that asks for what the greeting answers (the name, the
      // passphrase): showing "Type your name" would only mislead.
      const answered = !welcomed && /\b(name|password)\b/i.test(frame.text);
      welcomed = true;
      welcomeArrived(frame.text);
      if (frame.text.startsWith("*** Disconnected:")) disconnected = true;
      if (options.greet && (answered || PASSWORD_ACCEPTED.test(frame.text))) {
        continue;
      }
      screen.show(label + sanitize(frame.text));
    }
  } catch (error) {
    // Closed by us (no welcome) ends the chat like a close; anything else is
    // worth a line.
    if (!(error instanceof Deno.errors.BadResource)) {
      failure ??= error instanceof Error ? error : new Error(String(error));
    }
  }
  // Decided before the console closes, which ends the typing too.
  const end: ChatEnd = disconnected
    ? "disconnected"
    : inputEnded
    ? "input ended"
    : "peer closed";
  // What is printed next (why the chat ended) gets a clean line of its own.
  screen.close();
  await screen.flush();
  if (failure) throw failure;
  return end;
}

/** Errors a write or half-close gives once the connection is gone. */
function isConnectionGone(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.Interrupted;
}
