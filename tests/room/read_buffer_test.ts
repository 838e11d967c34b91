import { assertEquals, assertOk } from "../support/assert.ts";
import {
  BUSY_READ_SIZE,
  IDLE_READ_SIZE,
  ReadBuffer,
} from "../../lib/room/read_buffer.ts";

Deno.test("ReadBuffer reads into a small buffer until a read fills it, then into the big one", () => {
  const buffer = new ReadBuffer();
  assertEquals(buffer.current.length, IDLE_READ_SIZE);
  const small = buffer.current;
  small.set([104, 105, 10]);
  assertEquals([...buffer.took(3)], [104, 105, 10]);
  assertOk(buffer.current === small);
  // A full read: more is waiting, and the bytes it took stay as they were.
  small.fill(7);
  const taken = buffer.took(IDLE_READ_SIZE);
  assertEquals(taken.length, IDLE_READ_SIZE);
  assertEquals(buffer.current.length, BUSY_READ_SIZE);
  assertEquals(taken.every((byte) => byte === 7), true);
});

Deno.test("ReadBuffer keeps the big buffer while reads need it, and lets it go once the small one would do", () => {
  const buffer = new ReadBuffer(4, 16);
  buffer.took(4);
  const big = buffer.current;
  assertEquals(big.length, 16);
  buffer.took(16);
  assertOk(buffer.current === big);
  buffer.took(9); // more than the small one holds: kept
  assertOk(buffer.current === big);
  big.set([1, 2, 3]);
  assertEquals([...buffer.took(3)], [1, 2, 3]); // read from the big one
  assertEquals(buffer.current.length, 4);
});
