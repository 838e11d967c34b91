// The wire view's lines: what a student sees for each read and write, with
// line ends, control bytes and cut characters shown visibly, and the
// watched connection passing every byte through untouched.

import { assertEquals, assertOk } from "../support/assert.ts";
import { visibleText, WireView } from "../../lib/wire/wire_view.ts";
import { WatchedConn } from "../../lib/wire/watched_conn.ts";

const encoder = new TextEncoder();

/** A view that keeps its lines. */
function recordingView(options: { hex?: boolean; color?: boolean } = {}) {
  const lines: string[] = [];
  const view = new WireView({ ...options, print: (line) => lines.push(line) });
  return { view, lines };
}

Deno.test("visibleText shows line ends, tabs, backslashes and control bytes as escapes", () => {
  assertEquals(
    visibleText(encoder.encode("a\nb\r\n\tc\\d\x00\x1b[2J\x7f")),
    "a\\nb\\r\\n\\tc\\\\d\\x00\\x1b[2J\\x7f",
  );
});

Deno.test("visibleText keeps whole characters and shows a cut one byte by byte", () => {
  assertEquals(visibleText(encoder.encode("héllo 😀")), "héllo 😀");
  const e = encoder.encode("é"); // c3 a9
  assertEquals(visibleText(e.subarray(0, 1)), "\\xc3");
  assertEquals(visibleText(e.subarray(1)), "\\xa9");
  const emoji = encoder.encode("😀"); // f0 9f 98 80
  assertEquals(visibleText(emoji.subarray(0, 3)), "\\xf0\\x9f\\x98");
});

Deno.test("visibleText shows invisible and reordering characters by number", () => {
  assertEquals(
    visibleText(encoder.encode("a\u202eb\u200bc\u0085")),
    "a\\u{202e}b\\u{200b}c\\u{0085}",
  );
  assertEquals(visibleText(Uint8Array.of(0xff, 0x41)), "\\xffA");
});

Deno.test("WireView shows a read and a write with their byte counts", () => {
  const { view, lines } = recordingView();
  view.read(encoder.encode("hello\nhow are y"));
  view.wrote(encoder.encode("é\n"));
  view.read(encoder.encode("!"));
  assertEquals(lines, [
    "← read 15 bytes   │ hello\\nhow are y",
    "→ wrote 3 bytes   │ é\\n",
    "← read 1 byte     │ !",
  ]);
});

Deno.test("WireView adds a hex column on request, 16 bytes a row", () => {
  const { view, lines } = recordingView({ hex: true });
  view.read(encoder.encode("hi\n"));
  view.wrote(encoder.encode("0123456789abcdefXY"));
  assertEquals(lines, [
    "← read 3 bytes    │ 68 69 0a                                        │ hi\\n",
    "→ wrote 18 bytes  │ 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 │ 0123456789abcdef",
    "                  │ 58 59                                           │ XY",
  ]);
});

Deno.test("WireView continues a long read on rows of 64 bytes, never cutting a character", () => {
  const { view, lines } = recordingView();
  const text = "x".repeat(63) + "é" + "y".repeat(10);
  view.read(encoder.encode(text));
  assertEquals(lines, [
    `← read 75 bytes   │ ${"x".repeat(63)}`,
    `                  │ é${"y".repeat(10)}`,
  ]);
});

Deno.test("WireView colours only when told to", () => {
  const plain = recordingView();
  plain.view.read(encoder.encode("a\n"));
  assertOk(!plain.lines[0].includes("\x1b["), plain.lines[0]);
  const colored = recordingView({ color: true });
  colored.view.read(encoder.encode("a\n"));
  assertEquals(
    colored.lines[0],
    "\x1b[36m← read 2 bytes   \x1b[39m │ a\x1b[35m\\n\x1b[39m",
  );
});

Deno.test("WatchedConn passes every byte through and shows each read and write", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [accepted, theirs] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  ]);
  const { view, lines } = recordingView();
  const ours = new WatchedConn(accepted, view);
  try {
    await theirs.write(encoder.encode("hel"));
    const buffer = new Uint8Array(1024);
    const count = await ours.read(buffer);
    assertEquals(new TextDecoder().decode(buffer.subarray(0, count!)), "hel");
    assertEquals(await ours.write(encoder.encode("ok\n")), 3);
    const back = new Uint8Array(16);
    const got = await theirs.read(back);
    assertEquals(new TextDecoder().decode(back.subarray(0, got!)), "ok\n");
    theirs.closeWrite();
    assertEquals(await ours.read(buffer), null);
    assertEquals(lines, [
      "← read 3 bytes    │ hel",
      "→ wrote 3 bytes   │ ok\\n",
      "← end: the other side closed its sending half",
    ]);
    assertEquals(
      (ours.remoteAddr as Deno.NetAddr).port,
      (theirs.localAddr as Deno.NetAddr).port,
    );
  } finally {
    ours.close();
    theirs.close();
  }
});
