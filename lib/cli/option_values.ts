/**
 * The values of the scripts' options, each checked and turned into what the
 * program uses; a mistake is a {@linkcode UsageError} that quotes the value.
 *
 * @module
 */

import { DEFAULT_KEEP, type Retention } from "../store/room_store.ts";
import { ROOM_DEFAULTS } from "../room/defaults.ts";
import type { RoomOptions } from "../room/room.ts";
import type { WireOption } from "./network.ts";
import { UsageError } from "./errors.ts";

const D = ROOM_DEFAULTS;

/** The port both scripts use unless told otherwise. */
export const DEFAULT_PORT = 5555;

/** The address the server binds unless told otherwise: this computer only. */
export const DEFAULT_HOST = "127.0.0.1";

/** How the two sides talk. */
export type Mode = "turns" | "chat" | "room";

/** The modes, in the order `--help` names them. */
export const MODES: readonly Mode[] = ["turns", "chat", "room"];

/** Options for {@linkcode parsePort}. */
export interface ParsePortOptions {
  /**
   * Whether 0 ("pick a free port") is allowed.
   *
   * @default {false}
   */
  allowZero?: boolean;
}

/** Checks a port: digits only, 0 (when allowed) or 1 to 65535. */
export function parsePort(
  text: string,
  options: ParsePortOptions = {},
): number {
  const lowest = options.allowZero ? 0 : 1;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= lowest && port <= 65535)) {
    throw new UsageError(
      `Invalid port "${text}": use a whole number from ${lowest} to 65535`,
    );
  }
  return port;
}

/**
 * Checks a host. A name or IPv6 address passes as it is; something shaped
 * like an IPv4 address must be a real one (the lesson's own example,
 * "123.456.789.123", is not).
 */
export function parseHost(text: string): string {
  const host = text.startsWith("[") && text.endsWith("]")
    ? text.slice(1, -1)
    : text;
  if (host === "" || /\s/.test(host)) {
    throw new UsageError(`Invalid host "${text}": give a name or an address`);
  }
  if (/^[\d.]+$/.test(host)) {
    const parts = host.split(".");
    const bad = parts.length !== 4
      ? "it needs four numbers separated by dots"
      : parts.find((part) => part === "" || Number(part) > 255) !== undefined
      ? "each of its four numbers must be from 0 to 255"
      : null;
    if (bad) throw new UsageError(`Invalid IPv4 address "${text}": ${bad}`);
  }
  return host;
}

/** An origin for `--web-origin`: `scheme://host[:port]`, nothing more. */
export function parseOrigin(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.origin !== text) {
    throw new UsageError(
      `Invalid --web-origin "${text}": give an origin such as http://192.168.1.23:8080 (scheme, host and port, no path)`,
    );
  }
  return text;
}

/** `--keep 30d` (days) or `--keep 5000` (messages). */
export function parseKeep(text: string | undefined): Retention {
  if (text === undefined) return DEFAULT_KEEP;
  const match = text.match(/^(\d+)(d?)$/);
  const n = Number(match?.[1]);
  if (!match || n < 1 || n > 1_000_000_000) {
    throw new UsageError(
      `Invalid --keep "${text}": use a number of days such as 30d, or of messages such as 5000`,
    );
  }
  return match[2] === "d" ? { days: n } : { rows: n };
}

/** `--wire` (the text view) or `--wire=hex` (with a hex column). */
export function parseWire(text: string | undefined): WireOption | undefined {
  if (text === undefined) return undefined;
  if (text !== WIRE_TEXT && text !== "hex") {
    throw new UsageError(
      `Invalid --wire "${text}": use --wire, or --wire=hex for a hex column`,
    );
  }
  return { hex: text === "hex" };
}

/** The value a bare `--wire` gets. */
export const WIRE_TEXT = "text";

/** `--mode`: turns (the default), chat or room. */
export function parseMode(text: string | undefined): Mode {
  if (text === undefined) return "turns";
  if (!(MODES as readonly string[]).includes(text)) {
    throw new UsageError(
      `Invalid mode "${text}": use one of ${MODES.join(", ")}`,
    );
  }
  return text as Mode;
}

/** `--max-line-bytes`: the longest message, in bytes. */
export function parseMaxLineBytes(text: string | undefined): number {
  return parseCount(text, "--max-line-bytes", D.maxLineBytes, 1);
}

/** A flag given in whole seconds, as milliseconds. */
export function parseSeconds(
  text: string | undefined,
  flag: string,
  fallbackMs: number,
  lowest: number,
): number {
  return parseCount(text, flag, fallbackMs / 1000, lowest) * 1000;
}

/** A whole number flag, `lowest` or more. */
export function parseCount(
  text: string | undefined,
  flag: string,
  fallback: number,
  lowest: number,
): number {
  if (text === undefined) return fallback;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= lowest)) {
    throw new UsageError(
      `Invalid ${flag} "${text}": use a whole number, ${lowest} or more`,
    );
  }
  return value;
}

/** `--rate-limit LINES,PER_SECOND` or `off`. */
export function parseRateLimit(
  text: string | undefined,
): RoomOptions["rateLimit"] {
  if (text === undefined) return { ...D.rateLimit };
  if (text === "off") return null;
  const match = text.match(/^(\d{1,6}),(\d{1,6})$/);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new UsageError(
      `Invalid --rate-limit "${text}": use LINES,PER_SECOND such as 40,5, or off`,
    );
  }
  return { burstLines: Number(match[1]), linesPerSecond: Number(match[2]) };
}
