import { assertEquals, assertThrows } from "./support/assert.ts";
import {
  checkMessageSize,
  encodeMessage,
  tooLongText,
} from "../lib/wire/message.ts";

const decoder = new TextDecoder();

Deno.test("encodeMessage encodes text as UTF-8 with a LF at the end", () => {
  const bytes = encodeMessage("héllo 😀");
  assertEquals(decoder.decode(bytes), "héllo 😀\n");
  assertEquals(bytes.length, "héllo ".length + 1 + 4 + 1);
});

Deno.test("encodeMessage encodes an empty message as a bare LF", () => {
  assertEquals(encodeMessage(""), Uint8Array.of(0x0a));
});

Deno.test("encodeMessage accepts a message of exactly the limit", () => {
  const ascii = "x".repeat(1024);
  assertEquals(encodeMessage(ascii).length, 1025);
  // 256 emoji of 4 bytes each: 256 characters, 1024 bytes.
  const emoji = "😀".repeat(256);
  assertEquals(encodeMessage(emoji).length, 1025);
});

Deno.test("encodeMessage refuses one byte over the limit, naming size and limit", () => {
  assertThrows(() => encodeMessage("x".repeat(1025)), {
    name: "RangeError",
    message:
      "Message is 1025 bytes; the limit is 1024 bytes, so it was not sent",
  });
});

Deno.test("encodeMessage counts the limit in bytes, not characters", () => {
  // 513 × "é" is 513 characters but 1026 bytes.
  assertThrows(() => encodeMessage("é".repeat(513)), {
    name: "RangeError",
    message:
      "Message is 1026 bytes; the limit is 1024 bytes, so it was not sent",
  });
  // 256 emoji and one more byte: 1025 bytes in 257 characters.
  assertThrows(() => encodeMessage("😀".repeat(256) + "!"), {
    name: "RangeError",
    message:
      "Message is 1025 bytes; the limit is 1024 bytes, so it was not sent",
  });
});

Deno.test("encodeMessage applies a custom limit", () => {
  assertEquals(decoder.decode(encodeMessage("abc", 3)), "abc\n");
  assertThrows(() => encodeMessage("漢字", 5), {
    name: "RangeError",
    message: "Message is 6 bytes; the limit is 5 bytes, so it was not sent",
  });
});

Deno.test("encodeMessage throws a RangeError instance", () => {
  assertThrows(() => encodeMessage("toolong", 2), RangeError);
});

Deno.test("checkMessageSize passes sizes up to the limit and refuses more", () => {
  checkMessageSize(0);
  checkMessageSize(1024);
  checkMessageSize(10, 10);
  assertThrows(() => checkMessageSize(1025), {
    name: "RangeError",
    message:
      "Message is 1025 bytes; the limit is 1024 bytes, so it was not sent",
  });
  assertThrows(() => checkMessageSize(11, 10), {
    name: "RangeError",
    message: tooLongText(11, 10),
  });
});

Deno.test("tooLongText names the size and the limit", () => {
  assertEquals(
    tooLongText(2000, 1024),
    "Message is 2000 bytes; the limit is 1024 bytes, so it was not sent",
  );
});
