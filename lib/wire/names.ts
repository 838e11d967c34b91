/**
 * Room names: short, from a safe character set, so that the `<name>` the
 * server puts in front of every line can never be faked or break a terminal.
 *
 * @module
 */

/** The longest name, in characters. */
export const MAX_NAME_LENGTH = 16;

import { sanitize } from "./sanitize.ts";

const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Why `name` cannot be used as a room name, or `null` when it can. Only the
 * characters are checked here; whether it is taken is the room's business.
 */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return "a name cannot be empty";
  if (name.length > MAX_NAME_LENGTH) {
    return `name "${
      preview(name)
    }" is longer than ${MAX_NAME_LENGTH} characters`;
  }
  if (!NAME_PATTERN.test(name)) {
    return `name "${
      preview(name)
    }" may only use letters A-Z and a-z, digits, "_" and "-"`;
  }
  return null;
}

/** The form used to compare names, so "Alice" and "alice" are the same person. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** Throws a `RangeError` if `name` is not a valid room name. */
export function assertValidName(name: string): void {
  const problem = nameProblem(name);
  if (problem) throw new RangeError(`Invalid ${problem}`);
}

/** A short excerpt of a rejected name for error messages, as it was typed. */
function preview(name: string): string {
  // Whole characters (an emoji is one), made safe for terminals: a rejected
  // name may hold anything, and controls come back as visible escapes.
  const characters = Array.from(name);
  const safe = sanitize(characters.slice(0, MAX_NAME_LENGTH + 4).join(""));
  return characters.length > MAX_NAME_LENGTH + 4 ? `${safe}...` : safe;
}
