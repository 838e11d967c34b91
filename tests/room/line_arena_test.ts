import { assertEquals } from "../support/assert.ts";
import { LineArena } from "../../lib/room/line_arena.ts";

const decoder = new TextDecoder();
const text = (bytes: Uint8Array) => decoder.decode(bytes);
/** Marks what it was given, to show when it was called. */
const shout = (line: string) => `!${line}!`;

Deno.test("LineArena encodes a say and an action line with their prefixes", () => {
  const arena = new LineArena();
  assertEquals(
    text(arena.encodeLine("say", "alice", "hi", shout)),
    "<alice> hi\n",
  );
  assertEquals(
    text(arena.encodeLine("action", "alice", "waves", shout)),
    "* alice waves\n",
  );
});

Deno.test("LineArena makes safe only text that is not printable ASCII", () => {
  const arena = new LineArena();
  assertEquals(
    text(arena.encodeLine("say", "bo", "tab\there ~", shout)),
    "<bo> tab\there ~\n",
  );
  assertEquals(
    text(arena.encodeLine("say", "bo", "bell\x07", shout)),
    "<bo> !bell\x07!\n",
  );
  assertEquals(
    text(arena.encodeLine("say", "bo", "del\x7f", shout)),
    "<bo> !del\x7f!\n",
  );
  assertEquals(
    text(arena.encodeLine("say", "bo", "你好 😀", shout)),
    "<bo> !你好 😀!\n",
  );
});

Deno.test("LineArena puts lines side by side and starts a new chunk when one is full", () => {
  const arena = new LineArena(64);
  const first = arena.encodeLine("say", "a", "x".repeat(20), shout);
  const second = arena.encodeLine("say", "a", "y".repeat(20), shout);
  assertEquals(first.buffer, second.buffer);
  assertEquals(second.byteOffset, first.byteOffset + first.length);
  const third = arena.encodeLine("say", "a", "z".repeat(20), shout);
  assertEquals(third.buffer === first.buffer, false);
  assertEquals(text(first), `<a> ${"x".repeat(20)}\n`);
  assertEquals(text(second), `<a> ${"y".repeat(20)}\n`);
  assertEquals(text(third), `<a> ${"z".repeat(20)}\n`);
});

Deno.test("LineArena gives a line longer than a chunk a buffer of its own", () => {
  const arena = new LineArena(64);
  const long = "é".repeat(300);
  assertEquals(
    text(arena.encodeLine("say", "a", long, (line) => line)),
    `<a> ${long}\n`,
  );
  const ascii = "q".repeat(300);
  assertEquals(
    text(arena.encodeLine("action", "a", ascii, shout)),
    `* a !${ascii}!\n`,
  );
});
