/**
 * The lesson's chat: each side in turn reads a line from the keyboard, sends
 * it, then waits for the other's message and prints `Received: <text>`.
 *
 * While it is this side's turn to type, it still listens: a hang-up is
 * noticed at once (not after the next message is typed and lost), and a
 * client that reached a room by mistake (no `--name`) is told so and joins.
 *
 * @module
 */

import { ChatConsole } from "./chat_console.ts";
import { TerminalKeyboard } from "./terminal_keyboard.ts";
import { RoomMembers } from "./room_members.ts";
import type { Frame } from "../wire/line_splitter.ts";
import { isPeerGone, LineReader } from "../wire/line_reader.ts";
import { encodeMessage, tooLongText } from "../wire/message.ts";
import { MAX_LINE_BYTES } from "../wire/line_splitter.ts";
import { MAX_EXPANSION, sanitize } from "../wire/sanitize.ts";
import { writeAll } from "../wire/write_all.ts";

/** The prompt shown before each message, only when stdin is a terminal. */
export const PROMPT = "You: ";

/** Why a take-turns chat ended ("disconnected": a room said why it dropped us). */
export type TakeTurnsEnd = "input ended" | "peer closed" | "disconnected";

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
  /**
   * Called when the other side's first line, sent before we said anything,
   * is a room's welcome (`*** ...`): a take-turns server never speaks first.
   * The chat then continues as a room (every line shown as it comes).
   *
   * @default {undefined (no room recognised)}
   */
  onRoomWelcome?: () => void;
}

/** Chats over `conn`, taking turns, until either side stops. */
export async function takeTurns(
  conn: Deno.Conn,
  options: TakeTurnsOptions,
): Promise<TakeTurnsEnd> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const chat = new Turns(conn, maxLineBytes);
  let myTurn = options.speakFirst;
  let sentAnything = false;
  /** Answers the other side sent before our message of the same round. */
  let answersAhead = 0;
  while (true) {
    if (myTurn) {
      const got = await chat.typedOrHeard();
      if (got.from === "peer") {
        // The other side spoke or hung up out of turn.
        const roomWelcome = !sentAnything && options.onRoomWelcome &&
          got.frame?.kind === "line" && got.frame.text.startsWith("*** ");
        if (roomWelcome) chat.stopTyping();
        else chat.endPromptLine();
        if (got.frame === null) return "peer closed";
        if (roomWelcome && got.frame.kind === "line") {
          console.log(sanitize(got.frame.text));
          options.onRoomWelcome?.();
          return await chat.asRoom();
        }
        chat.printReceived(got.frame);
        answersAhead++;
        continue;
      }
      const sent = await chat.send(got.frame);
      if (sent === "input ended") chat.endPromptLine();
      if (sent === "too long") continue;
      if (sent !== "sent") return sent;
      sentAnything = true;
      // Its answer to this message is already shown: our turn again, not a
      // wait for an answer that came early.
      if (answersAhead > 0) {
        answersAhead--;
        continue;
      }
    } else {
      const frame = await chat.heard();
      if (frame === null) return "peer closed";
      chat.printReceived(frame);
    }
    myTurn = !myTurn;
  }
}

/** The two line sources of a chat, each read at most once at a time. */
class Turns {
  readonly #conn: Deno.Conn;
  readonly #maxLineBytes: number;
  readonly #keyboard: LineReader | TerminalKeyboard;
  /** In a terminal, lines are edited as in a shell, and the editor shows PROMPT. */
  readonly #editing: boolean;
  readonly #peer: LineReader;
  #typing: Promise<Frame | null> | null = null;
  #hearing: Promise<Frame | null> | null = null;
  #promptShown = false;

  constructor(conn: Deno.Conn, maxLineBytes: number) {
    this.#conn = conn;
    this.#maxLineBytes = maxLineBytes;
    this.#editing = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
    this.#keyboard = this.#editing
      ? new TerminalKeyboard({ prompt: PROMPT, maxLineBytes })
      : new LineReader(Deno.stdin, { maxLineBytes });
    this.#peer = new LineReader(conn, { maxLineBytes, refuseTls: true });
  }

  /** The next typed line, or whatever the other side does first. */
  async typedOrHeard(): Promise<
    { from: "keyboard" | "peer"; frame: Frame | null }
  > {
    if (Deno.stdin.isTerminal() && !this.#promptShown) {
      if (!this.#editing) await writeAll(Deno.stdout, PROMPT_BYTES);
      this.#promptShown = true;
    }
    const typing = this.#typing ??= this.#keyboard.readFrame();
    const hearing = this.#hearing ??= this.#peer.readMessage();
    const got = await Promise.race([
      typing.then((frame) => ({ from: "keyboard" as const, frame })),
      hearing.then((frame) => ({ from: "peer" as const, frame })),
    ]);
    if (got.from === "keyboard") {
      this.#typing = null;
      // Enter ended the prompt's line; Ctrl+D did not.
      if (got.frame !== null) this.#promptShown = false;
    } else this.#hearing = null;
    return got;
  }

  /** The other side's next message. */
  async heard(): Promise<Frame | null> {
    const frame = await (this.#hearing ?? this.#peer.readMessage());
    this.#hearing = null;
    return frame;
  }

  /** Sends a typed frame, unless it is over the limit (then says so). */
  async send(
    frame: Frame | null,
  ): Promise<"sent" | "too long" | "input ended" | "peer closed"> {
    if (frame === null) return "input ended";
    if (frame.kind === "oversize") {
      console.error(`error: ${tooLongText(frame.bytes, this.#maxLineBytes)}`);
      return "too long";
    }
    // What the other side sent before this is one message (see messageSent).
    this.#peer.messageSent();
    try {
      await writeAll(this.#conn, encodeMessage(frame.text, this.#maxLineBytes));
    } catch (error) {
      if (isPeerGone(error)) return "peer closed";
      throw error;
    }
    return "sent";
  }

  /** Prints the other side's message as the lesson does. */
  printReceived(frame: Frame): void {
    if (frame.kind === "oversize") {
      console.log(
        `(The other side sent ${frame.bytes} bytes in one message; the limit is ${this.#maxLineBytes} bytes, so it was dropped.)`,
      );
    } else {
      console.log(`Received: ${sanitize(frame.text)}`);
    }
  }

  /** Closes the line editor (wiping its prompt), if there is one. */
  stopTyping(): void {
    if (!(this.#keyboard instanceof TerminalKeyboard)) return;
    this.#keyboard.close();
    this.#typing = null;
    this.#promptShown = false;
  }

  /**
   * Ends the line the prompt (and any half-typed text) is on, so what comes
   * next, ours or the shell's, starts on a line of its own.
   */
  endPromptLine(): void {
    if (this.#promptShown) console.log();
    this.#promptShown = false;
  }

  /**
   * Carries on as a room client: typed lines are sent as they come (the
   * first is the name), the room's lines are shown as they come.
   */
  async asRoom(): Promise<TakeTurnsEnd> {
    // The room names senders and may grow a line while making it safe.
    const roomLines = new LineReader(this.#conn, {
      maxLineBytes: MAX_EXPANSION * this.#maxLineBytes + 64,
    });
    let disconnected = false;
    // In a terminal, the room's lines are printed above the line being typed.
    let screen: ChatConsole | null = null;
    if (this.#editing) {
      screen = new ChatConsole({
        maxLineBytes: this.#maxLineBytes,
        room: new RoomMembers(),
      });
    }
    const typing = (async () => {
      const typed = screen?.typedLines()[Symbol.asyncIterator]();
      while (true) {
        const frame = typed
          ? (await typed.next()).value ?? null
          : await (this.#typing ?? this.#keyboard.readFrame());
        this.#typing = null;
        const sent = await this.send(frame);
        if (sent === "input ended") return await this.#conn.closeWrite();
        if (sent === "peer closed") return;
      }
    })();
    // Typing ends by itself when the connection goes away; anything else
    // is a bug, and should be seen.
    typing.catch((error) => {
      if (!isPeerGone(error)) throw error;
    });
    for (let frame; (frame = await roomLines.readFrame()) !== null;) {
      if (frame.kind === "oversize") continue;
      if (frame.text.startsWith("*** Disconnected:")) disconnected = true;
      if (screen) screen.show(sanitize(frame.text));
      else console.log(sanitize(frame.text));
    }
    screen?.close();
    return disconnected ? "disconnected" : "peer closed";
  }
}

const PROMPT_BYTES = new TextEncoder().encode(PROMPT);
