/**
 * A browser's WebSocket as a room member. The room treats it like any other
 * member (same names, commands, limits, flood guard, passphrase); only the
 * framing differs: each frame is one JSON object (PROTOCOL.md, "WebSocket"),
 * so the page never parses the line protocol.
 *
 * The room speaks to members in lines; this adapter turns each line it is
 * given into an event the page can show, and takes the room's messages with
 * their ids as data (`message`), and acknowledgements as data (`ack`).
 * Every browser gets a session, so a reconnecting page catches up exactly
 * once.
 *
 * @module
 */

import type { Member } from "../room/member.ts";
import { Outbox } from "../room/outbox.ts";
import type { QueueLedger } from "../room/queue_ledger.ts";
import type { RoomMessage, RoomSeat } from "../room/room.ts";
import * as wire from "../room/wire.ts";
import { utf8Length } from "../wire/utf8_length.ts";
import { jsonLine, WsSink } from "./ws_sink.ts";
import { PacedInput } from "./paced_input.ts";
import {
  CLOSE,
  closeCodeFor,
  errorEvent,
  messageEvent,
  noticeEvent,
} from "./ws_events.ts";

export { CLOSE } from "./ws_events.ts";

/** What the room must let an adapter know. */
export interface WsRoom {
  /** Admits a member. */
  join(member: Member): RoomSeat;
  /** Names in the room (`@` marks a moderator). */
  readonly names: string[];
  /** The room's identity for this run (ids line up only within one). */
  readonly runId: string;
  /** The room's settings this adapter needs. */
  readonly settings: {
    maxLineBytes: number;
    maxQueuedBytes: number;
    maxUnterminatedBytes: number;
    closeGraceMs: number;
  };
  /** Where every member's queued bytes are counted. */
  readonly ledger: QueueLedger;
  /** Resolves once members have caught up enough for more lines. */
  catchingUp(): Promise<void> | void;
}

const decoder = new TextDecoder();

/** Where a browser is in joining. */
type WsPhase = "password" | "naming" | "chatting";

/** One browser in the room. */
export class WsMember implements Member {
  /** The browser's address, for the per-address limit. */
  readonly address: string;
  readonly #socket: WebSocket;
  readonly #room: WsRoom;
  /** The same queue, limits and stall rule as a TCP member's. */
  readonly #outbox: Outbox;
  /** Its frames, each taken once the room has caught up. */
  readonly #input: PacedInput;
  #seat: RoomSeat | null = null;
  #phase: WsPhase = "naming";
  /** The phase the welcome put it in (a failed resume goes back there). */
  #joinPhase: "password" | "naming" = "naming";
  #closeCode: number = CLOSE.policy;
  #closeReason = "";
  #closed = false;
  #welcomed = false;
  /** Its name in the room, once it has one. */
  #name = "";

  /** Wraps `socket` (not yet open) for `room`. */
  constructor(socket: WebSocket, address: string, room: WsRoom) {
    this.#socket = socket;
    this.address = address;
    this.#room = room;
    this.#outbox = new Outbox(new WsSink(socket), {
      maxQueuedBytes: room.settings.maxQueuedBytes,
      ledger: room.ledger,
      onOverflow: () => {
        this.#closeReason = wire.reasons.stalled;
        this.#seat?.drop(wire.reasons.stalled);
      },
      onWriteError: () => this.#gone(),
    });
    this.#input = new PacedInput(room, {
      take: (data) => this.#take(data),
      onFlood: () => this.#seat?.drop(wire.reasons.flooding),
    });
    socket.addEventListener("open", () => this.#open());
    socket.addEventListener("message", (event) => this.#onFrame(event.data));
    socket.addEventListener("close", () => this.#gone());
    socket.addEventListener("error", () => this.#gone());
  }

  /** Bytes queued for the browser and not yet taken. */
  get queuedBytes(): number {
    return this.#outbox.queuedBytes;
  }

  /** Lines from the room (notices, replies, private messages), as events. */
  deliver(bytes: Uint8Array): void {
    for (const line of decoder.decode(bytes).split("\n")) {
      if (line !== "") this.#onLine(line);
    }
  }

  /** A message of the room, with its id (owed, whatever the limit, when `catchUp`). */
  message(message: RoomMessage, catchUp = false): void {
    const own = message.from === this.#name;
    this.#outbox.send(messageEvent(message, own), catchUp);
  }

  /** The room took line `seq` (as message `id`, or as a command). */
  ack(seq: number, id: number | null): void {
    this.#send({ type: "ack", seq, id });
  }

  /**
   * Lets the browser take what is queued (for the close grace), then closes
   * the socket with the code and reason the room's last line gave.
   */
  async close(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#room.settings.closeGraceMs);
    });
    await Promise.race([this.#outbox.close(), grace]);
    clearTimeout(timer);
    if (this.#socket.readyState === WebSocket.OPEN) {
      this.#socket.close(this.#closeCode, this.#closeReason.slice(0, 120));
    }
    this.#gone();
  }

  #open(): void {
    this.#seat = this.#room.join(this);
    if (this.#closed) return;
    // Every browser asks for a session: it may come back after a drop.
    this.#seat.receive({ kind: "line", text: "/session" });
  }

  #onFrame(data: unknown): void {
    if (!this.#seat || this.#closed || typeof data !== "string") return;
    this.#input.push(data);
  }

  #take(data: string): void {
    const seat = this.#seat;
    if (!seat || this.#closed) return;
    const { maxLineBytes, maxUnterminatedBytes } = this.#room.settings;
    // Far over the limit: not a line anybody typed.
    if (data.length > maxUnterminatedBytes * 4) {
      this.#closeCode = CLOSE.tooBig;
      this.#closeReason = "message too big";
      return seat.drop(`sent a message of ${data.length} characters`);
    }
    let frame: {
      type?: unknown;
      text?: unknown;
      seq?: unknown;
      token?: unknown;
      after?: unknown;
    };
    try {
      frame = JSON.parse(data);
    } catch {
      return this.#send(errorEvent("frames must be JSON (see PROTOCOL.md)"));
    }
    seat.heard();
    if (frame.type === "resume" && typeof frame.token === "string") {
      const after = Number.isSafeInteger(frame.after) ? frame.after : 0;
      return seat.receive({
        kind: "line",
        text: `/session ${frame.token.replace(/\s/g, "")} ${after}`,
      });
    }
    if (frame.type !== "line" || typeof frame.text !== "string") {
      return this.#send(errorEvent('send {"type":"line","text":"..."}'));
    }
    const text = frame.text.replace(/\r?\n$/, "");
    const bytes = utf8Length(text);
    if (text.includes("\n") || bytes > maxLineBytes) {
      return seat.receive({ kind: "oversize", bytes });
    }
    const seq = this.#phase === "chatting" && Number.isSafeInteger(frame.seq)
      ? frame.seq as number
      : undefined;
    seat.receive({ kind: "line", text, seq });
  }

  /** A line of the room, as the page wants it. */
  #onLine(line: string): void {
    let match;
    if ((match = line.match(/^\*\*\* Session (\S+)$/))) {
      return this.#state({ token: match[1] });
    }
    if (!this.#welcomed && line.startsWith("*** Welcome")) {
      this.#welcomed = true;
      this.#joinPhase = /password/i.test(line) ? "password" : "naming";
      return this.#state({ phase: this.#joinPhase });
    }
    if (line.startsWith("*** Password accepted")) {
      return this.#state({ phase: "naming" });
    }
    if ((match = line.match(/^\*\*\* Hello (\S+)! /))) {
      this.#send(noticeEvent(line.slice(4)));
      return this.#state({ phase: "chatting", name: match[1] });
    }
    if ((match = line.match(/^\*\*\* Resumed (\S+); (\d+) missed/))) {
      this.#send(
        noticeEvent(`Reconnected; ${match[2]} missed messages follow.`),
      );
      return this.#state({ phase: "chatting", name: match[1] });
    }
    if (line === "*** Last messages:") {
      return this.#send({ type: "history", phase: "start" });
    }
    if (line === "*** End of last messages.") {
      return this.#send({ type: "history", phase: "end" });
    }
    if ((match = line.match(/^\*\*\* Disconnected: (.*)$/))) {
      this.#closeReason = match[1];
      this.#closeCode = closeCodeFor(match[1]);
      return this.#send(noticeEvent(line.slice(4), "error"));
    }
    if (line.startsWith("*** Goodbye")) {
      this.#closeCode = CLOSE.normal;
      this.#closeReason = "you left";
    }
    if (line.startsWith("*** Error: ")) {
      if (line.startsWith("*** Error: That session has ended")) {
        // Back to joining: the page answers the passphrase and name again.
        return this.#state({ phase: this.#joinPhase, token: "" });
      }
      return this.#send(errorEvent(line.slice("*** Error: ".length)));
    }
    if ((match = line.match(/^-> \*(\S+)\* (.*)$/s))) {
      return this.#send({
        type: "event",
        time: Date.now(),
        kind: "private-out",
        to: match[1],
        text: match[2],
      });
    }
    if ((match = line.match(/^\*([^*\s]+)\* (.*)$/s))) {
      return this.#send({
        type: "event",
        time: Date.now(),
        kind: "private-in",
        from: match[1],
        text: match[2],
      });
    }
    this.#send(noticeEvent(line.startsWith("*** ") ? line.slice(4) : line));
    const renamed = line.match(/^\*\*\* (\S+) is now known as (\S+)$/);
    if (renamed && renamed[1] === this.#name) {
      return this.#state({ name: renamed[2] });
    }
    // Joins, leaves, renames, moderation: the list may have changed.
    if (this.#phase === "chatting") this.#state({});
  }

  #state(change: { phase?: WsPhase; name?: string; token?: string }): void {
    if (change.phase) this.#phase = change.phase;
    if (change.name) this.#name = change.name;
    this.#send({
      type: "state",
      phase: this.#phase,
      room: this.#room.runId,
      maxLineBytes: this.#room.settings.maxLineBytes,
      ...change,
      ...(this.#phase === "chatting" ? { members: this.#members() } : {}),
    });
  }

  #members(): { name: string; moderator: boolean }[] {
    return this.#room.names.map((name) =>
      name.startsWith("@")
        ? { name: name.slice(1), moderator: true }
        : { name, moderator: false }
    );
  }

  #send(event: object): void {
    this.#outbox.send(jsonLine(event));
  }

  #gone(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.clear();
    void this.#outbox.close();
    this.#seat?.ended("connection lost");
    this.#seat?.closed();
  }
}
