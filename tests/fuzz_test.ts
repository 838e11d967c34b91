/**
 * Fuzz tests: random bytes, rich in what breaks terminals and decoders (LF,
 * CR, ESC, the 8-bit CSI, invalid UTF-8, bidi controls, runs of combining
 * marks), cut at random, through LineSplitter and then sanitize. Whatever
 * arrives, nothing throws, every line is valid text with no raw control
 * character, no line is over the limit, and every byte is accounted for.
 * Seeded: see tests/support/random.ts.
 */

import { BIDI_CONTROLS } from "./support/bidi.ts";
import { assertEquals, assertOk } from "./support/assert.ts";
import { forEachCase, type Random } from "./support/random.ts";
import { type Frame, LineSplitter } from "../lib/wire/line_splitter.ts";
import {
  MAX_EXPANSION,
  MAX_MARKS_PER_BASE,
  sanitize,
} from "../lib/wire/sanitize.ts";

const LF = 0x0a;
const CR = 0x0d;
const ESC = 0x1b;
const CSI_8BIT = 0x9b;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const LIMITS = [1, 2, 3, 8, 64, 1024];

/** Bidi controls, as UTF-8. */
const BIDI = BIDI_CONTROLS.map((
  code,
) => [...encoder.encode(String.fromCodePoint(code))]);

/** Byte sequences that are not UTF-8. */
const INVALID = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc3], // a lead byte without its continuation
  [0xc0, 0xaf], // overlong "/"
  [0xe0, 0x80, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // a surrogate, encoded
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf0, 0x9f, 0x98], // an emoji cut short
];

/** Bytes that pile up on the character before them. */
const COMBINING_ACUTE = [0xcc, 0x81];
const ZERO_WIDTH = [
  [0xe2, 0x80, 0x8d], // ZWJ
  [0xe2, 0x80, 0x8b], // ZWSP
  [0xef, 0xb8, 0x8f], // VS16
];

/** One piece of a hostile stream, picked with the weights below. */
const TOKENS: readonly [weight: number, make: (random: Random) => number[]][] =
  [
    [4, (random) => [random.int(0, 255)]],
    [3, () => [LF]],
    [1, () => [CR]],
    [1, () => [CR, LF]],
    [2, (random) => [ESC, ...ascii(random, random.int(0, 6))]],
    [1, () => [CSI_8BIT]],
    [1, (random) => [0xc2, random.int(0x80, 0x9f)]], // a C1 control as UTF-8
    [2, (random) => random.pick(INVALID)],
    [1, (random) => random.pick(BIDI)],
    [1, (random) => repeat(COMBINING_ACUTE, random.int(1, 40))],
    [
      1,
      (random) =>
        Array.from(
          { length: random.int(1, 20) },
          () => [...COMBINING_ACUTE, ...random.pick(ZERO_WIDTH)],
        ).flat(),
    ],
    [4, (random) => ascii(random, random.int(1, 20))],
    [1, (random) => [...encoder.encode(random.pick(["é", "漢", "😀", "👩‍👩‍👧"]))]],
    [1, (random) => [random.pick([0x00, 0x7f, 0x09, 0x07, 0x08])]],
  ];

const TOTAL_WEIGHT = TOKENS.reduce((sum, [weight]) => sum + weight, 0);

function ascii(random: Random, length: number): number[] {
  return Array.from({ length }, () => random.int(0x20, 0x7e));
}

function repeat(bytes: readonly number[], times: number): number[] {
  return Array.from({ length: times }, () => bytes).flat();
}

function randomToken(random: Random): number[] {
  let pick = random.next() * TOTAL_WEIGHT;
  for (const [weight, make] of TOKENS) {
    pick -= weight;
    if (pick < 0) return make(random);
  }
  return TOKENS[0][1](random);
}

/** A hostile stream: tokens, and sometimes one repeated into a long line. */
function randomStream(random: Random): Uint8Array {
  const target = random.int(0, 3000);
  const bytes: number[] = [];
  while (bytes.length < target) {
    const token = randomToken(random);
    const times = random.chance(0.02) ? random.int(10, 500) : 1;
    for (let i = 0; i < times; i++) bytes.push(...token);
  }
  return Uint8Array.from(bytes);
}

function cutAtRandom(random: Random, bytes: Uint8Array): Uint8Array[] {
  const largest = random.pick([1, 2, 7, 64, 1024, 4096]);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = random.int(1, largest);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** One line of the stream as the model sees it: its bytes and line end. */
interface RawLine {
  bytes: Uint8Array;
  lineEndBytes: number;
  hasCr: boolean;
}

/** The model: cut at LF, drop a CR before it; a last line may have no LF. */
function rawLines(stream: Uint8Array): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  while (start < stream.length) {
    const lf = stream.indexOf(LF, start);
    const end = lf === -1 ? stream.length : lf;
    const hasCr = end > start && stream[end - 1] === CR;
    lines.push({
      bytes: stream.subarray(start, hasCr ? end - 1 : end),
      lineEndBytes: (hasCr ? 1 : 0) + (lf === -1 ? 0 : 1),
      hasCr,
    });
    start = end + 1;
  }
  return lines;
}

/** A code point that must never reach a terminal raw. */
function isForbidden(code: number): boolean {
  return (code <= 0x1f && code !== 0x09) ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c || code === 0x200e || code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069);
}

const LONG_RUN = new RegExp(
  `[\\p{M}\\p{Cf}\\p{Default_Ignorable_Code_Point}]{${MAX_MARKS_PER_BASE + 1}}`,
  "u",
);

/** Asserts everything a terminal needs of one sanitized line. */
function assertSafe(shown: string, rawBytes: number): void {
  assertOk(shown.isWellFormed(), `not valid text: ${JSON.stringify(shown)}`);
  for (const char of shown) {
    const code = char.codePointAt(0)!;
    assertOk(
      !isForbidden(code),
      `raw U+${code.toString(16)} in ${JSON.stringify(shown)}`,
    );
  }
  assertOk(
    !LONG_RUN.test(shown),
    `a long run of marks in ${JSON.stringify(shown)}`,
  );
  const shownBytes = encoder.encode(shown).length;
  assertOk(
    shownBytes <= MAX_EXPANSION * rawBytes,
    `${rawBytes} bytes became ${shownBytes}: ${JSON.stringify(shown)}`,
  );
  assertEquals(sanitize(shown), shown, "sanitize is idempotent");
}

function framesOf(chunks: readonly Uint8Array[], limit: number): Frame[] {
  const splitter = new LineSplitter({ maxLineBytes: limit });
  const frames = chunks.flatMap((chunk) => splitter.push(chunk));
  const last = splitter.flush();
  return last ? [...frames, last] : frames;
}

Deno.test("random bytes through LineSplitter and sanitize come out safe and whole", () => {
  forEachCase({ cases: 3000 }, (random) => {
    const limit = random.pick(LIMITS);
    const stream = randomStream(random);
    const frames = framesOf(cutAtRandom(random, stream), limit);
    const model = rawLines(stream);
    assertEquals(frames.length, model.length, "one frame per line");
    let accounted = 0;
    frames.forEach((frame, i) => {
      const raw = model[i];
      accounted += raw.lineEndBytes;
      if (frame.kind === "oversize") {
        assertOk(raw.bytes.length > limit, `line ${i} is not over ${limit}`);
        assertEquals(frame.bytes, raw.bytes.length);
        accounted += raw.bytes.length;
        return;
      }
      assertOk(raw.bytes.length <= limit, `line ${i} is over ${limit}`);
      assertEquals(frame.text, decoder.decode(raw.bytes));
      accounted += raw.bytes.length;
      assertSafe(sanitize(frame.text), raw.bytes.length);
    });
    assertEquals(accounted, stream.length, "every byte accounted for");
  });
});

Deno.test("sanitize makes random UTF-16, lone surrogates and all, safe", () => {
  const units = [
    0x00,
    0x09,
    0x0a,
    0x0d,
    0x1b,
    0x7f,
    0x85,
    0x9b,
    0x0301,
    0x061c,
    0x200d,
    0x200e,
    0x202e,
    0x2066,
    0x2069,
    0xd800,
    0xdbff,
    0xdc00,
    0xdfff,
    0xd83d,
    0xde00,
    0xfe0f,
    0xfffd,
  ];
  forEachCase({ cases: 3000 }, (random) => {
    const length = random.int(0, 200);
    const text = String.fromCharCode(
      ...Array.from(
        { length },
        () => random.chance(0.5) ? random.pick(units) : random.int(0, 0xffff),
      ),
    );
    const shown = sanitize(text);
    // Each UTF-16 unit is at most 3 bytes of UTF-8 as sent.
    assertSafe(shown, 3 * text.length);
  });
});
