/**
 * Makes text from a peer safe to print on a terminal or to relay to others.
 *
 * A terminal obeys some characters instead of showing them: ESC starts a
 * sequence that can clear the screen, set the window title, or write to the
 * clipboard (OSC 52); C1 controls such as the 8-bit CSI (U+009B) do the same
 * without ESC; bidi controls reorder what follows them so a line reads
 * differently from what was sent. {@linkcode sanitize} shows each of them as
 * a visible escape instead, in one clear scheme:
 *
 * | what | shown as |
 * | --- | --- |
 * | C0 controls U+0000–U+001F, except TAB | caret notation: `^@` (NUL), `^M` (CR), `^[` (ESC) |
 * | DEL U+007F | `^?` |
 * | C1 controls U+0080–U+009F | `<U+009B>` (the 8-bit CSI) |
 * | bidi controls U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 | `<U+202E>` |
 * | a lone surrogate (not valid text) | U+FFFD `�` |
 *
 * Turning ESC into `^[` defuses every ESC sequence (CSI, OSC, DCS): what
 * follows it is printable and stays as it was, so `ESC [2J` shows as `^[[2J`.
 *
 * Everything else is kept: TAB, accents, CJK, emoji, and the zero-width
 * joiner (U+200D) that emoji sequences such as 👩‍👩‍👧 need. Only long runs of
 * combining marks ("zalgo") are cut: a base character keeps at most
 * {@linkcode MAX_MARKS_PER_BASE} following marks or invisible format
 * characters, so one line cannot paint over the lines around it.
 *
 * @module
 */

/**
 * How many combining marks (or invisible format characters, such as U+200D,
 * between them) a base character keeps; the rest of the run is dropped.
 * Real scripts need at most about five (Hebrew with vowels and cantillation,
 * Tibetan stacks, emoji tag sequences use six); "zalgo" text uses dozens.
 */
export const MAX_MARKS_PER_BASE = 8;

/**
 * The most UTF-8 bytes {@linkcode sanitize} makes of each byte received:
 * U+0080–U+009F and U+061C take 2 bytes and become 8 (`<U+009B>`); a C0
 * control becomes 2, an invalid byte 3 (U+FFFD). A reader of relayed lines
 * allows lines this many times longer (plus the room's prefix).
 */
export const MAX_EXPANSION = 4;

/** ESC, which starts every escape sequence; shown as `^[`. */
export const ESC = "\x1b";
/** The 8-bit CSI, a C1 control that acts like `ESC [`; shown as `<U+009B>`. */
export const CSI_8BIT = "\x9b";
/** Shown in place of a lone surrogate, as a UTF-8 decoder does. */
export const REPLACEMENT_CHARACTER = "\ufffd";

const NUL = 0x00;
const BACKSPACE = 0x08;
const LINE_FEED = 0x0a;
const UNIT_SEPARATOR = 0x1f;
const DEL = 0x7f;
const C1_LAST = 0x9f;
const LAST_BMP = 0xffff;
const FIRST_SURROGATE = 0xd800;
const LAST_SURROGATE = 0xdfff;
/** Caret notation flips this bit: NUL is `^@`, ESC `^[`, DEL `^?`. */
const CARET_BIT = 0x40;

const ARABIC_LETTER_MARK = 0x061c;
const LEFT_TO_RIGHT_MARK = 0x200e;
const RIGHT_TO_LEFT_MARK = 0x200f;
const LEFT_TO_RIGHT_EMBEDDING = 0x202a;
const RIGHT_TO_LEFT_OVERRIDE = 0x202e;
const LEFT_TO_RIGHT_ISOLATE = 0x2066;
const POP_DIRECTIONAL_ISOLATE = 0x2069;

/** Code point ranges shown as escapes; TAB (0x09) is the gap in C0. */
const CONTROL_RANGES: readonly (readonly [number, number])[] = [
  [NUL, BACKSPACE],
  [LINE_FEED, UNIT_SEPARATOR],
  [DEL, C1_LAST], // DEL, then C1 U+0080–U+009F with the 8-bit CSI
  [ARABIC_LETTER_MARK, ARABIC_LETTER_MARK],
  [LEFT_TO_RIGHT_MARK, RIGHT_TO_LEFT_MARK],
  [LEFT_TO_RIGHT_EMBEDDING, RIGHT_TO_LEFT_OVERRIDE],
  [LEFT_TO_RIGHT_ISOLATE, POP_DIRECTIONAL_ISOLATE],
];

const CONTROLS = CONTROL_RANGES
  .map(([first, last]) => `\\u{${hex(first)}}-\\u{${hex(last)}}`)
  .join("");

/**
 * Characters that take no column of their own and pile onto the base before
 * them: marks, and invisible format characters a zalgo line could put
 * between marks to restart a count. Controls are escaped, so not counted.
 */
const NON_SPACING =
  `[[\\p{M}\\p{Cf}\\p{Default_Ignorable_Code_Point}]--[${CONTROLS}]]`;

/**
 * One regex finds everything to change: a control, a lone surrogate, or a
 * run of more than {@linkcode MAX_MARKS_PER_BASE} non-spacing characters.
 * The lookbehind lets a run match only from its first character, so a run
 * is scanned once, not once per position. Compiled once: the room server
 * runs it on every relayed line.
 */
const UNSAFE = new RegExp(
  `[${CONTROLS}]|\\p{Cs}|${NON_SPACING}(?<!${NON_SPACING}{2})${NON_SPACING}{${MAX_MARKS_PER_BASE},}`,
  "gv",
);

/**
 * Returns `text` with every terminal control shown as a visible escape and
 * long runs of combining marks cut (see the module doc); returns `text`
 * itself when there is nothing to change.
 */
export function sanitize(text: string): string {
  // `search` ignores the regex's lastIndex, so the shared regex is safe here.
  if (text.search(UNSAFE) === -1) return text;
  return text.replace(UNSAFE, replaceUnsafe);
}

/** The visible form of one code point that {@linkcode sanitize} escapes. */
export function escapeCodePoint(codePoint: number): string {
  if (codePoint <= UNIT_SEPARATOR || codePoint === DEL) {
    return "^" + String.fromCharCode(codePoint ^ CARET_BIT);
  }
  return `<U+${hex(codePoint)}>`;
}

function replaceUnsafe(match: string): string {
  // A match of one UTF-16 unit is a control or a lone surrogate; a run of
  // marks is always longer than MAX_MARKS_PER_BASE units.
  if (match.length > 1) return keepFirstCodePoints(match, MAX_MARKS_PER_BASE);
  const codePoint = match.charCodeAt(0);
  return isSurrogate(codePoint)
    ? REPLACEMENT_CHARACTER
    : escapeCodePoint(codePoint);
}

function keepFirstCodePoints(text: string, count: number): string {
  let end = 0;
  for (let kept = 0; kept < count; kept++) {
    end += text.codePointAt(end)! > LAST_BMP ? 2 : 1;
  }
  return text.slice(0, end);
}

function isSurrogate(codeUnit: number): boolean {
  return codeUnit >= FIRST_SURROGATE && codeUnit <= LAST_SURROGATE;
}

function hex(codePoint: number): string {
  return codePoint.toString(16).toUpperCase().padStart(4, "0");
}
