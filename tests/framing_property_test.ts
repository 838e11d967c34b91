/**
 * Property tests of the framing: whatever lines are sent and however the
 * network cuts them, the receiver gets exactly those lines back, and a line
 * over the limit comes back as one oversize report with its byte count that
 * leaves its neighbours untouched. Seeded: see tests/support/random.ts.
 */

import { assertEquals } from "./support/assert.ts";
import { forEachCase, forEachCaseAsync, Random } from "./support/random.ts";
import { type ByteSource, LineReader } from "../lib/wire/line_reader.ts";
import { type Frame, LineSplitter } from "../lib/wire/line_splitter.ts";

const encoder = new TextEncoder();

/** Roughly the most bytes one case sends. */
const MAX_CASE_BYTES = 4096;

/** Limits to test with: tiny ones put most lines at or over the limit. */
const LIMITS = [1, 2, 4, 7, 16, 64, 1024];

/** Pieces of text from 1 to 18 bytes: ASCII, accents, CJK, 4-byte emoji. */
const PIECES = [
  "a",
  "Z",
  " ",
  "\t",
  "~",
  "<",
  "*",
  "é",
  "ß",
  "\u0301",
  "€",
  "漢",
  "字",
  "😀",
  "\u{10348}",
  "👩‍👩‍👧",
];

/** One message as sent: its text, its line end, and its size in bytes. */
interface SentLine {
  text: string;
  lineEnd: "\n" | "\r\n" | "";
  bytes: number;
}

/** Text of exactly `size` bytes of UTF-8, from random pieces. */
function textOfSize(random: Random, size: number): string {
  let text = "";
  let left = size;
  while (left > 0) {
    const piece = random.pick(PIECES);
    const bytes = encoder.encode(piece).length;
    if (bytes <= left) {
      text += piece;
      left -= bytes;
    } else {
      text += "x";
      left -= 1;
    }
  }
  return text;
}

/** A message: empty, short, exactly at the limit, or over it. */
function randomLine(random: Random, limit: number): SentLine {
  const shape = random.int(0, 9);
  const size = shape === 0
    ? 0
    : shape <= 5
    ? random.int(1, limit)
    : shape <= 7
    ? limit
    : shape === 8
    ? limit + 1
    : limit + 1 + random.int(1, Math.min(3 * limit + 8, 3000));
  const text = textOfSize(random, size);
  return { text, lineEnd: random.chance(0.3) ? "\r\n" : "\n", bytes: size };
}

/**
 * Up to 30 lines, about `MAX_CASE_BYTES` at most so that even one byte at a
 * time a case stays fast; the last line sometimes has no line end at all.
 */
function randomLines(random: Random, limit: number): SentLine[] {
  const count = random.int(1, 30);
  const budget = random.int(1, MAX_CASE_BYTES);
  const lines: SentLine[] = [];
  let total = 0;
  while (lines.length < count && total < budget) {
    const line = randomLine(random, limit);
    lines.push(line);
    total += line.bytes + line.lineEnd.length;
  }
  if (random.chance(0.2)) lines[lines.length - 1].lineEnd = "";
  return lines;
}

function encodeLines(lines: readonly SentLine[]): Uint8Array {
  return encoder.encode(lines.map((line) => line.text + line.lineEnd).join(""));
}

/** What the receiver must get: a frame per line (an empty last line without a line end is nothing). */
function expectedFrames(lines: readonly SentLine[], limit: number): Frame[] {
  return lines
    .filter((line) => line.lineEnd !== "" || line.bytes > 0)
    .map((line) =>
      line.bytes > limit
        ? { kind: "oversize", bytes: line.bytes }
        : { kind: "line", text: line.text }
    );
}

/** How to cut a stream into reads. */
type Chunking = "one byte at a time" | "random sizes" | "coalesced";

const CHUNKINGS: readonly Chunking[] = [
  "one byte at a time",
  "random sizes",
  "coalesced",
];

function cut(
  random: Random,
  bytes: Uint8Array,
  chunking: Chunking,
): Uint8Array[] {
  if (chunking === "coalesced") return [bytes];
  const chunks: Uint8Array[] = [];
  const largest = random.pick([3, 17, 300, 5000]);
  for (let at = 0; at < bytes.length;) {
    const size = chunking === "one byte at a time" ? 1 : random.int(1, largest);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function splitAll(chunks: readonly Uint8Array[], limit: number): Frame[] {
  const splitter = new LineSplitter({ maxLineBytes: limit });
  const frames = chunks.flatMap((chunk) => splitter.push(chunk));
  const last = splitter.flush();
  return last ? [...frames, last] : frames;
}

/** A source that gives out the chunks it was made with, at most `p.length` at a time. */
class ChunkSource implements ByteSource {
  #chunks: Uint8Array[];

  constructor(chunks: readonly Uint8Array[]) {
    this.#chunks = [...chunks];
  }

  read(p: Uint8Array): Promise<number | null> {
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return Promise.resolve(null);
    if (chunk.length > p.length) this.#chunks.unshift(chunk.subarray(p.length));
    const count = Math.min(chunk.length, p.length);
    p.set(chunk.subarray(0, count));
    return Promise.resolve(count);
  }
}

Deno.test("LineSplitter gives back exactly the lines sent, however they are cut", () => {
  forEachCase({ cases: 1000 }, (random) => {
    const limit = random.pick(LIMITS);
    const lines = randomLines(random, limit);
    const bytes = encodeLines(lines);
    const expected = expectedFrames(lines, limit);
    for (const chunking of CHUNKINGS) {
      const frames = splitAll(cut(random, bytes, chunking), limit);
      assertEquals(frames, expected);
    }
  });
});

Deno.test("LineSplitter gives back lines at the default limit, however they are cut", () => {
  forEachCase({ cases: 200 }, (random) => {
    const lines = randomLines(random, 1024);
    const bytes = encodeLines(lines);
    const chunking = random.pick(CHUNKINGS);
    const splitter = new LineSplitter();
    const frames = cut(random, bytes, chunking).flatMap((chunk) =>
      splitter.push(chunk)
    );
    const last = splitter.flush();
    assertEquals(
      last ? [...frames, last] : frames,
      expectedFrames(lines, 1024),
    );
  });
});

Deno.test("LineReader gives back exactly the lines sent, however they are cut", async () => {
  await forEachCaseAsync({ cases: 600 }, async (random) => {
    const limit = random.pick(LIMITS);
    const lines = randomLines(random, limit);
    const chunking = random.pick(CHUNKINGS);
    const source = new ChunkSource(cut(random, encodeLines(lines), chunking));
    const reader = new LineReader(source, { maxLineBytes: limit });
    const frames: Frame[] = [];
    for (let frame; (frame = await reader.readFrame()) !== null;) {
      frames.push(frame);
    }
    assertEquals(frames, expectedFrames(lines, limit));
  });
});

Deno.test("an oversize line never changes the lines around it", () => {
  forEachCase({ cases: 200 }, (random) => {
    const limit = random.pick(LIMITS);
    const before = randomLine(random, limit);
    const after = randomLine(random, limit);
    before.bytes = Math.min(before.bytes, limit);
    before.text = textOfSize(random, before.bytes);
    after.bytes = Math.min(after.bytes, limit);
    after.text = textOfSize(random, after.bytes);
    after.lineEnd = "\n";
    const huge: SentLine = {
      text: textOfSize(random, limit + random.int(1, 20_000)),
      lineEnd: "\n",
      bytes: 0,
    };
    huge.bytes = encoder.encode(huge.text).length;
    const lines = [before, huge, after];
    const chunks = cut(random, encodeLines(lines), "random sizes");
    assertEquals(splitAll(chunks, limit), [
      { kind: "line", text: before.text },
      { kind: "oversize", bytes: huge.bytes },
      { kind: "line", text: after.text },
    ]);
  });
});
