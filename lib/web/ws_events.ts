/**
 * What a browser is sent, as the page's JSON events (PROTOCOL.md,
 * "WebSocket"): close codes, the events made from the room's lines, and each
 * room message's event, made once for every browser that gets it.
 *
 * @module
 */

import type { RoomMessage } from "../room/room.ts";
import { sanitize } from "../wire/sanitize.ts";
import { jsonLine } from "./ws_sink.ts";

/** Close codes (PROTOCOL.md, "WebSocket"). */
export const CLOSE = {
  /** The member left (`/quit`). */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** Removed by the server: wrong passphrase, flood, kicked, banned. */
  policy: 1008,
  /** A frame far over the line limit. */
  tooBig: 1009,
  /** The room is full or locked, or the page stopped reading: try later. */
  tryLater: 1013,
} as const;

/** The close code for a `*** Disconnected:` reason. */
export function closeCodeFor(reason: string): number {
  if (reason.startsWith("the server is shutting down")) return CLOSE.goingAway;
  // A page that stopped reading (a frozen tab) comes back and catches up.
  if (/full|locked|too many connections|not reading/.test(reason)) {
    return CLOSE.tryLater;
  }
  return CLOSE.policy;
}

/** Each message's event, made once and shared by every browser that gets it. */
const messageEvents = new WeakMap<RoomMessage, Uint8Array>();
/** The same for its sender (`own`: the page may have it pending). */
const ownMessageEvents = new WeakMap<RoomMessage, Uint8Array>();

/** `message` as the page's event line, with `own` for its sender. */
export function messageEvent(message: RoomMessage, own: boolean): Uint8Array {
  const events = own ? ownMessageEvents : messageEvents;
  let line = events.get(message);
  if (line === undefined) {
    line = jsonLine({
      type: "event",
      id: message.id,
      time: message.time,
      kind: message.kind,
      from: message.from,
      text: sanitize(message.text),
      ...(own ? { own: true } : {}),
    });
    events.set(message, line);
  }
  return line;
}

/** A notice (or, with `kind`, another event without a sender) for the page. */
export function noticeEvent(text: string, kind = "notice"): object {
  return { type: "event", time: Date.now(), kind, text };
}

/** An error the page shows, capitalised. */
export function errorEvent(text: string): object {
  return noticeEvent(text.charAt(0).toUpperCase() + text.slice(1), "error");
}
