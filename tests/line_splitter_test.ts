import { assertEquals, assertOk, assertThrows } from "./support/assert.ts";
import { type Frame, LineSplitter } from "../lib/wire/line_splitter.ts";

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function line(text: string): Frame {
  return { kind: "line", text };
}

function oversize(count: number): Frame {
  return { kind: "oversize", bytes: count };
}

/** Pushes each chunk in turn and returns every frame they complete. */
function pushAll(
  splitter: LineSplitter,
  chunks: readonly (string | Uint8Array)[],
): Frame[] {
  return chunks.flatMap((chunk) =>
    splitter.push(typeof chunk === "string" ? bytes(chunk) : chunk)
  );
}

Deno.test("LineSplitter splits several lines coalesced in one chunk", () => {
  const splitter = new LineSplitter();
  assertEquals(splitter.push(bytes("one\ntwo\nthree\n")), [
    line("one"),
    line("two"),
    line("three"),
  ]);
  assertEquals(splitter.bytesWithoutLineEnd, 0);
});

Deno.test("LineSplitter joins a line split across chunks", () => {
  const splitter = new LineSplitter();
  assertEquals(splitter.push(bytes("hel")), []);
  assertEquals(splitter.bytesWithoutLineEnd, 3);
  assertEquals(splitter.push(bytes("lo wor")), []);
  assertEquals(splitter.push(bytes("ld\nnext")), [line("hello world")]);
  assertEquals(splitter.bytesWithoutLineEnd, 4);
  assertEquals(splitter.push(bytes("\n")), [line("next")]);
});

Deno.test("LineSplitter drops the CR of CRLF, even when CR and LF come apart", () => {
  const splitter = new LineSplitter();
  assertEquals(pushAll(splitter, ["a\r\nb\r", "\nc\n"]), [
    line("a"),
    line("b"),
    line("c"),
  ]);
});

Deno.test("LineSplitter keeps a CR that is not before LF", () => {
  const splitter = new LineSplitter();
  assertEquals(splitter.push(bytes("a\rb\r\r\n")), [line("a\rb\r")]);
});

Deno.test("LineSplitter returns empty lines", () => {
  const splitter = new LineSplitter();
  assertEquals(pushAll(splitter, ["\n\r\n", "\n"]), [
    line(""),
    line(""),
    line(""),
  ]);
});

Deno.test("LineSplitter joins a multi-byte character split at every byte", () => {
  const text = "é漢😀";
  const encoded = bytes(text + "\n");
  for (let cut = 1; cut < encoded.length; cut++) {
    const splitter = new LineSplitter();
    const frames = pushAll(splitter, [
      encoded.subarray(0, cut),
      encoded.subarray(cut),
    ]);
    assertEquals(frames, [line(text)], `cut at byte ${cut}`);
  }
  const oneByOne = new LineSplitter();
  const frames = [...encoded].flatMap((byte) =>
    oneByOne.push(Uint8Array.of(byte))
  );
  assertEquals(frames, [line(text)]);
});

Deno.test("LineSplitter copies what it keeps, so a read buffer can be reused", () => {
  const splitter = new LineSplitter();
  const buffer = new Uint8Array(4);
  buffer.set(bytes("ab"));
  assertEquals(splitter.push(buffer.subarray(0, 2)), []);
  buffer.set(bytes("cd\n"));
  assertEquals(splitter.push(buffer.subarray(0, 3)), [line("abcd")]);
});

Deno.test("LineSplitter accepts a line of exactly maxLineBytes, with LF or CRLF", () => {
  const splitter = new LineSplitter({ maxLineBytes: 8 });
  assertEquals(pushAll(splitter, ["12345678\n", "12345678\r\n"]), [
    line("12345678"),
    line("12345678"),
  ]);
  // 4 × 2-byte é is 8 bytes, though only 4 characters.
  assertEquals(splitter.push(bytes("éééé\n")), [line("éééé")]);
});

Deno.test("LineSplitter accepts a line of exactly the default 1024 bytes", () => {
  const splitter = new LineSplitter();
  // 256 emoji of 4 bytes each: 1024 bytes.
  const text = "😀".repeat(256);
  assertEquals(splitter.push(bytes(text + "\n")), [line(text)]);
  assertEquals(splitter.maxLineBytes, 1024);
});

Deno.test("LineSplitter reports a line of 1025 bytes as oversize by default", () => {
  const splitter = new LineSplitter();
  assertEquals(splitter.push(bytes("x".repeat(1025) + "\nok\n")), [
    oversize(1025),
    line("ok"),
  ]);
});

Deno.test("LineSplitter reports a line one byte over the limit as oversize", () => {
  const splitter = new LineSplitter({ maxLineBytes: 8 });
  assertEquals(pushAll(splitter, ["123456789\n", "ok\n"]), [
    oversize(9),
    line("ok"),
  ]);
  // 9 bytes in 5 characters: the limit is on bytes.
  assertEquals(splitter.push(bytes("ééééa\n")), [oversize(9)]);
});

Deno.test(
  "LineSplitter counts an oversize line's bytes without its CRLF",
  testOversizeCountWithoutCrlf,
);

function testOversizeCountWithoutCrlf(): void {
  const splitter = new LineSplitter({ maxLineBytes: 8 });
  assertEquals(
    pushAll(splitter, ["123456789\r\n", "1234567890123\r\n", "ok\r\n"]),
    [oversize(9), oversize(13), line("ok")],
  );
}

Deno.test("LineSplitter counts every byte of a huge oversize line", () => {
  const splitter = new LineSplitter();
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  let frames: Frame[] = [];
  const chunks = 160; // 10 MiB
  for (let i = 0; i < chunks; i++) frames = frames.concat(splitter.push(chunk));
  assertEquals(frames, []);
  assertEquals(splitter.bytesWithoutLineEnd, chunks * chunk.length);
  assertEquals(splitter.push(bytes("tail\nafter\n")), [
    oversize(chunks * chunk.length + 4),
    line("after"),
  ]);
});

Deno.test("LineSplitter does not store the bytes of a line it will drop", () => {
  // Pushing 512 MiB without a line end: were the chunks kept, memory would
  // grow by at least that much. Dropped copies are garbage and are
  // collected, so the growth stays far below it.
  const splitter = new LineSplitter();
  const chunk = new Uint8Array(1024 * 1024).fill(0x78);
  const chunks = 512;
  const before = Deno.memoryUsage().rss;
  for (let i = 0; i < chunks; i++) splitter.push(chunk);
  const grown = Deno.memoryUsage().rss - before;
  assertOk(
    grown < (chunks * chunk.length) / 4,
    `memory grew by ${grown} bytes while dropping a ${chunks} MiB line`,
  );
  assertEquals(splitter.push(bytes("\n")), [oversize(chunks * chunk.length)]);
});

Deno.test("LineSplitter.flush returns the pending bytes as a line, once", () => {
  const splitter = new LineSplitter();
  assertEquals(splitter.flush(), null);
  assertEquals(splitter.push(bytes("done\nhalf")), [line("done")]);
  assertEquals(splitter.flush(), line("half"));
  assertEquals(splitter.bytesWithoutLineEnd, 0);
  assertEquals(splitter.flush(), null);
  assertEquals(splitter.push(bytes("fresh\n")), [line("fresh")]);
});

Deno.test("LineSplitter.flush reports pending bytes over the limit as oversize", () => {
  const splitter = new LineSplitter({ maxLineBytes: 4 });
  assertEquals(splitter.push(bytes("12345")), []);
  assertEquals(splitter.flush(), oversize(5));
  assertEquals(splitter.push(bytes("1234\n")), [line("1234")]);
});

Deno.test("LineSplitter.flush decodes a character cut short as U+FFFD", () => {
  const splitter = new LineSplitter();
  splitter.push(bytes("😀").subarray(0, 2));
  assertEquals(splitter.flush(), line("\ufffd"));
});

Deno.test("LineSplitter turns invalid UTF-8 into U+FFFD", () => {
  const splitter = new LineSplitter();
  const frames = splitter.push(
    Uint8Array.of(
      ...[0xff, 0x61, 0x0a], // a byte never used in UTF-8
      ...[0xc3, 0x0a], // a lead byte with its continuation missing
      ...[0x80, 0x62, 0x0a], // a continuation byte alone
      ...[0xed, 0xa0, 0x80, 0x0a], // an encoded surrogate
      ...[0xc0, 0xaf, 0x0a], // an overlong "/"
    ),
  );
  assertEquals(frames, [
    line("\ufffda"),
    line("\ufffd"),
    line("\ufffdb"),
    line("\ufffd\ufffd\ufffd"),
    line("\ufffd\ufffd"),
  ]);
});

Deno.test("LineSplitter refuses a maxLineBytes that is not a positive integer", () => {
  for (const maxLineBytes of [0, -1, 1.5, NaN, Infinity]) {
    assertThrows(() => new LineSplitter({ maxLineBytes }), {
      name: "RangeError",
      message:
        `Cannot make a line splitter: maxLineBytes must be a positive integer, got "${maxLineBytes}"`,
    });
  }
});

Deno.test("LineSplitter with maxLineBytes 1 accepts one byte and refuses two", () => {
  const splitter = new LineSplitter({ maxLineBytes: 1 });
  assertEquals(splitter.push(bytes("a\n\nab\né\n")), [
    line("a"),
    line(""),
    oversize(2),
    oversize(2),
  ]);
});

Deno.test("LineSplitter drops a byte order mark opening any line, however the lines arrive", () => {
  const text = "\ufeffone\n\ufefftwo\r\nthree\ufeff\n";
  const expected = [line("one"), line("two"), line("three\ufeff")];
  assertEquals(new LineSplitter().push(bytes(text)), expected);
  const splitter = new LineSplitter();
  const oneByOne = [...bytes(text)].map((byte) => Uint8Array.of(byte));
  assertEquals(pushAll(splitter, oneByOne), expected);
});

Deno.test("LineSplitter reports an oversize line among good ones in one chunk, in order", () => {
  const splitter = new LineSplitter({ maxLineBytes: 4 });
  assertEquals(
    splitter.push(bytes("abcd\nabcde\nab\r\nabcd\r\n")),
    [line("abcd"), oversize(5), line("ab"), line("abcd")],
  );
});

Deno.test("LineSplitter ends a line cut across reads, then splits the rest of the chunk", () => {
  const splitter = new LineSplitter();
  assertEquals(pushAll(splitter, ["he", "llo\nwor", "ld\nnext\nla"]), [
    line("hello"),
    line("world"),
    line("next"),
  ]);
  assertEquals(splitter.bytesWithoutLineEnd, 2);
  assertEquals(splitter.flush(), line("la"));
});
