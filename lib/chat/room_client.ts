/**
 * `client.ts --name NAME`: a room client that survives its connection.
 *
 * It asks the room for a session (PROTOCOL.md, "Reconnecting"), numbers the
 * lines it sends and keeps each until the room acknowledges it, and notes
 * the id of every message it is shown. When the connection drops without a
 * goodbye (a server killed and restarted, Wi-Fi gone), it connects again
 * with backoff and jitter, comes back under its name with its token, is
 * sent exactly the messages it missed, and sends again what was not
 * acknowledged; the room takes a resent line once. Ctrl+C ends it at once.
 *
 * @module
 */

import { ChatConsole } from "./chat_console.ts";
import { LineReader } from "../wire/line_reader.ts";
import { encodeMessage, tooLongText } from "../wire/message.ts";
import { MAX_EXPANSION, sanitize } from "../wire/sanitize.ts";
import { within } from "../wire/within.ts";
import { writeAll } from "../wire/write_all.ts";
import type { Frame } from "../wire/line_splitter.ts";
import { backoffDelay, sleep } from "./backoff.ts";
import {
  PasswordNeededError,
  type RoomClientOptions,
  type RoomEnd,
  WELCOME_TIMEOUT_MS,
} from "./room_client_options.ts";
import {
  closeQuietly,
  ignoreConnectionGone,
  isConnectionGone,
} from "./connection_gone.ts";
import {
  ackedSeq,
  disconnected,
  droppedAsSlow,
  passwordAccepted,
  resumedMissed,
  sessionEnded,
  sessionToken,
  untag,
} from "./room_lines.ts";

export {
  PasswordNeededError,
  type RoomClientOptions,
  type RoomEnd,
  WELCOME_TIMEOUT_MS,
} from "./room_client_options.ts";

/** Chats in a room over `first` and its successors until it ends. */
export async function chatInRoom(
  first: Deno.Conn,
  options: RoomClientOptions,
): Promise<RoomEnd> {
  const client = new RoomClient(options);
  return await client.run(first);
}

class RoomClient {
  readonly #options: RoomClientOptions;
  readonly #screen: Pick<ChatConsole, "show" | "typedLines" | "flush">;
  #conn: Deno.Conn | null = null;
  /** Whether the current connection is in the room with a session. */
  #inRoom = false;
  #token: string | null = null;
  #lastId = 0;
  #nextSeq = 1;
  /** Lines sent or waiting, not yet acknowledged, oldest first. */
  readonly #unacked = new Map<number, string>();
  #writing: Promise<void> = Promise.resolve();
  #inputEnded = false;
  /** Joining with a name the room may refuse: typing answers it instead. */
  #joining = false;
  #wakeInput: (() => void) | null = null;

  constructor(options: RoomClientOptions) {
    this.#options = options;
    this.#screen = options.screen ??
      new ChatConsole({ maxLineBytes: options.maxLineBytes });
  }

  async run(first: Deno.Conn): Promise<RoomEnd> {
    const { signal } = this.#options;
    signal?.addEventListener("abort", () => this.#stop(), { once: true });
    const typing = this.#type();
    let conn: Deno.Conn | null = first;
    let end: RoomEnd | "lost";
    let attempt = 0;
    while (true) {
      if (conn) {
        end = await this.#session(conn);
        if (end !== "lost") break;
        if (this.#inputEnded && this.#unacked.size === 0) {
          end = "input ended";
          break;
        }
        this.#screen.show("*** Connection lost; reconnecting...");
        attempt = 0;
      }
      if (signal?.aborted) {
        end = "stopped";
        break;
      }
      await sleep(backoffDelay(attempt++, this.#options), signal);
      if (signal?.aborted) {
        end = "stopped";
        break;
      }
      conn = await this.#options.connect().catch(() => null);
    }
    this.#inputEnded = true;
    this.#wakeInput?.();
    await typing;
    await this.#screen.flush();
    return end;
  }

  /** One connection's life: greet, then read until it ends. */
  async #session(conn: Deno.Conn): Promise<RoomEnd | "lost"> {
    this.#conn = conn;
    this.#inRoom = false;
    const reader = new LineReader(conn, {
      maxLineBytes: MAX_EXPANSION * this.#options.maxLineBytes + 64,
      refuseTls: true,
    });
    try {
      const welcome = await within(reader.readFrame(), WELCOME_TIMEOUT_MS);
      if (welcome === null) {
        throw new Error(
          `The server sent no welcome within ${
            WELCOME_TIMEOUT_MS / 1000
          } seconds: is it a chatlab room, and does it use TLS (then add --tls)?`,
        );
      }
      if (!welcome || welcome.kind !== "line") return "lost";
      // Refused at the door (full, locked, banned): that is the answer.
      if (disconnected(welcome.text)) {
        this.#screen.show(sanitize(welcome.text));
        return "disconnected";
      }
      // A welcome that asks for what the client answers by itself (the
      // name, the passphrase) would only mislead; any other is shown.
      if (!/\b(name|password)\b/i.test(welcome.text)) {
        this.#screen.show(sanitize(welcome.text));
      }
      await this.#greet(welcome.text);
      for (let frame; (frame = await reader.readFrame()) !== null;) {
        const end = await this.#onFrame(frame, welcome.text);
        if (end) return end;
      }
    } catch (error) {
      if (!isConnectionGone(error)) throw error;
    } finally {
      this.#conn = null;
      this.#inRoom = false;
      this.#joining = false;
      closeQuietly(conn);
    }
    return this.#quitting() ? "input ended" : "lost";
  }

  /** The first lines: back with the token, or a fresh join with a session. */
  async #greet(welcome: string): Promise<void> {
    if (this.#token) {
      await this.#send(`/session ${this.#token} ${this.#lastId}`);
      return;
    }
    await this.#join(welcome);
  }

  async #join(welcome: string): Promise<void> {
    const lines = ["/session"];
    if (/password/i.test(welcome)) {
      if (this.#options.password === undefined) {
        throw new PasswordNeededError(
          this.#options.passwordHelp ?? "This room needs a password",
        );
      }
      lines.push(this.#options.password);
    }
    lines.push(this.#options.name);
    this.#joining = true;
    for (const line of lines) await this.#send(line);
  }

  /** Handles one line from the room; returns how the chat ended, if it did. */
  async #onFrame(
    frame: Frame,
    welcome: string,
  ): Promise<RoomEnd | "lost" | void> {
    if (frame.kind === "oversize") {
      this.#screen.show(
        `(A line of ${frame.bytes} bytes arrived; it was too long to show.)`,
      );
      return;
    }
    const [id, text] = untag(frame.text);
    if (id !== null) this.#lastId = Math.max(this.#lastId, id);
    const token = sessionToken(text);
    if (token !== null) {
      this.#token = token;
      this.#enterRoom();
      return;
    }
    const acked = ackedSeq(text);
    if (acked !== null) {
      this.#unacked.delete(acked);
      if (this.#inputEnded && this.#unacked.size === 0) {
        await this.#send(`${this.#nextSeq++} /quit`);
      }
      return;
    }
    const count = resumedMissed(text);
    if (count !== null) {
      this.#screen.show(
        `*** Reconnected; ${count} missed message${
          count === 1 ? "" : "s"
        } follow${count === 1 ? "s" : ""}.`,
      );
      this.#enterRoom();
      return;
    }
    if (sessionEnded(text)) {
      // The room forgot us (a restart without --db): join afresh.
      this.#token = null;
      await this.#join(welcome);
      return;
    }
    // The greeting's questions were answered by the client itself.
    if (passwordAccepted(text)) return;
    this.#screen.show(sanitize(text));
    if (droppedAsSlow(text)) return "lost";
    if (disconnected(text)) return "disconnected";
  }

  /** In the room: send again what was not acknowledged, then what waits. */
  #enterRoom(): void {
    if (this.#inRoom) return;
    this.#inRoom = true;
    this.#joining = false;
    for (const [seq, text] of this.#unacked) this.#sendNumbered(seq, text);
    if (this.#inputEnded && this.#unacked.size === 0) {
      this.#sendNumbered(this.#nextSeq++, "/quit");
    }
  }

  /** Reads the keyboard for the whole chat, across connections. */
  async #type(): Promise<void> {
    const typed = this.#screen.typedLines()[Symbol.asyncIterator]();
    while (!this.#inputEnded) {
      const next = await Promise.race([
        typed.next(),
        new Promise<null>((resolve) => this.#wakeInput = () => resolve(null)),
      ]);
      if (next === null || next.done) break;
      const frame = next.value;
      if (frame.kind === "oversize") {
        this.#screen.show(
          `error: ${tooLongText(frame.bytes, this.#options.maxLineBytes)}`,
        );
        continue;
      }
      // The name was refused ("taken"): what is typed now is another name.
      if (this.#joining && this.#conn) {
        await this.#send(frame.text).catch(ignoreConnectionGone);
        continue;
      }
      const seq = this.#nextSeq++;
      this.#unacked.set(seq, frame.text);
      if (this.#inRoom) this.#sendNumbered(seq, frame.text);
      if (/^\/quit\b/i.test(frame.text)) break;
    }
    if (this.#inputEnded) return;
    this.#inputEnded = true;
    // The end of typing is a goodbye: the room frees the name at once.
    if (this.#inRoom && this.#unacked.size === 0) {
      this.#sendNumbered(this.#nextSeq++, "/quit");
    }
  }

  #quitting(): boolean {
    return this.#inputEnded;
  }

  #sendNumbered(seq: number, text: string): void {
    // A failed write is no loss: the line stays in #unacked and is sent
    // again after the reconnect.
    this.#send(`${seq} ${text}`).catch(ignoreConnectionGone);
  }

  /** Writes one line, after those before it. */
  #send(line: string): Promise<void> {
    const conn = this.#conn;
    if (!conn) return Promise.resolve();
    const bytes = encodeMessage(line, this.#options.maxLineBytes + 32);
    // After the one before it, whether that one got through or not.
    const write = () => writeAll(conn, bytes);
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }

  /** Ctrl+C: a goodbye if it can go at once, then the connection closes. */
  #stop(): void {
    this.#inputEnded = true;
    this.#wakeInput?.();
    const conn = this.#conn;
    if (!conn) return;
    if (this.#inRoom) {
      conn.write(new TextEncoder().encode(`${this.#nextSeq++} /quit\n`))
        .catch(ignoreConnectionGone)
        .finally(() => closeQuietly(conn));
    } else closeQuietly(conn);
  }
}
