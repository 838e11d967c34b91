/**
 * The bidi controls a terminal must never receive raw, listed here on their
 * own (not taken from lib/wire/sanitize.ts) so the tests check the code against
 * an independent list.
 *
 * @module
 */

/** U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069. */
export const BIDI_CONTROLS: readonly number[] = [
  0x061c,
  0x200e,
  0x200f,
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
];
