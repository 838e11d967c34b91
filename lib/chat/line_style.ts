/**
 * Colours for incoming room lines in a terminal: each name in a stable colour
 * of its own, `/me` actions and server notices set apart, and a line that
 * mentions you highlighted. Built on `styleText` from `node:util`.
 *
 * @module
 */

import { styleText } from "node:util";

type Style = Parameters<typeof styleText>[0];

/**
 * The colours names are drawn in: readable on dark and light backgrounds
 * (no white, black or grey, which are kept for notices).
 */
const NAME_COLOURS = [
  "cyan",
  "green",
  "magenta",
  "blue",
  "yellow",
  "red",
  "cyanBright",
  "greenBright",
  "magentaBright",
  "blueBright",
] as const;

/** One of the colours names are drawn in. */
export type NameColour = typeof NAME_COLOURS[number];

const SAID = /^<([^> ]+)> (.*)$/s;
const ACTION = /^\* ([^ ]+) (.*)$/s;
const PRIVATE = /^\*([^* ]+)\* (.*)$/s;
const PRIVATE_SENT = /^-> \*([^* ]+)\* (.*)$/s;

/**
 * Styles `text`. `validateStream: false` keeps `styleText` from looking at
 * stdout and at variables such as `NO_COLOR`, `TERM` or `TMUX`, which would
 * need (and could prompt for) env permission: the caller has decided.
 */
function paint(style: Style, text: string): string {
  return styleText(style, text, { validateStream: false });
}

/** The colour a name is always drawn in (the same name, any case, same colour). */
export function nameColour(name: string): NameColour {
  // FNV-1a: a small, stable spread over the palette.
  let hash = 0x811c9dc5;
  for (const char of name.toLowerCase()) {
    hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193) >>> 0;
  }
  return NAME_COLOURS[hash % NAME_COLOURS.length];
}

/** Whether `text` mentions `name` as a whole word, ignoring case. */
export function mentions(text: string, name: string | undefined): boolean {
  if (!name) return false;
  const escaped = name.replace(/[-]/g, "\\-");
  return new RegExp(`(?<![A-Za-z0-9_-])${escaped}(?![A-Za-z0-9_-])`, "i")
    .test(text);
}

/**
 * A room line (already made safe) with colours: `<NAME> TEXT`,
 * `* NAME ACTION`, `*NAME* TEXT`, `-> *NAME* TEXT` and `*** notices`.
 * `myName` highlights lines that mention it.
 */
export function styleRoomLine(line: string, myName?: string): string {
  if (line.startsWith("*** ")) {
    return paint(line.startsWith("*** Error:") ? "red" : "gray", line);
  }
  const said = line.match(SAID);
  if (said) {
    const [, name, text] = said;
    return `<${paint(nameColour(name), name)}> ${highlight(text, myName)}`;
  }
  const sent = line.match(PRIVATE_SENT);
  if (sent) {
    const [, name, text] = sent;
    return `${paint("gray", "->")} *${paint(nameColour(name), name)}* ${text}`;
  }
  const action = line.match(ACTION);
  if (action) {
    const [, name, text] = action;
    return paint(
      "italic",
      `* ${paint(nameColour(name), name)} ${highlight(text, myName)}`,
    );
  }
  const told = line.match(PRIVATE);
  if (told) {
    const [, name, text] = told;
    return `${paint("bold", `*${paint(nameColour(name), name)}*`)} ${
      paint("bold", text)
    }`;
  }
  return line;
}

/** Dims a timestamp prefix. */
export function styleTimestamp(stamp: string): string {
  return paint("dim", stamp);
}

function highlight(text: string, myName: string | undefined): string {
  return mentions(text, myName) ? paint(["bold", "inverse"], text) : text;
}
