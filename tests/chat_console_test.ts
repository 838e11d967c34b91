// ChatConsole in-process, on injected streams: what a terminal would be sent
// and what it types, without a pty (tests/terminal_test.ts has the real one).

import { PassThrough, Writable } from "node:stream";
import { assertEquals, assertOk } from "./support/assert.ts";
import { ChatConsole } from "../lib/chat/chat_console.ts";
import type { Frame } from "../lib/wire/line_splitter.ts";

/** A fake terminal screen: keeps everything written to it. */
class FakeScreen extends Writable {
  text = "";
  columns = 80;
  rows = 24;
  isTTY = true;
  override _write(
    chunk: Uint8Array | string,
    _encoding: string,
    done: () => void,
  ): void {
    this.text += typeof chunk === "string"
      ? chunk
      : new TextDecoder().decode(chunk);
    done();
  }
}

/** A console on a fake keyboard and screen, with its typed lines collected. */
function openConsole(options: { maxLineBytes?: number } = {}) {
  const keyboard = new PassThrough();
  const screen = new FakeScreen();
  const console = new ChatConsole({
    input: keyboard,
    output: screen,
    isTerminal: true,
    color: false,
    ...options,
  });
  const frames: Frame[] = [];
  const done = (async () => {
    for await (const frame of console.typedLines()) frames.push(frame);
  })();
  return { keyboard, screen, console, frames, done };
}

/** Lets the streams and readline handle what was written. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

Deno.test("ChatConsole edits in the middle of a line (Left, then type)", async () => {
  const { keyboard, console, frames, done } = openConsole();
  keyboard.write("hello wrld");
  keyboard.write("\x1b[D\x1b[D\x1b[D"); // Left three times
  keyboard.write("o\r");
  await settle();
  assertEquals(frames, [{ kind: "line", text: "hello world" }]);
  console.close();
  await done;
});

Deno.test("ChatConsole draws one prompt when lines were shown before typing starts", async () => {
  const keyboard = new PassThrough();
  const screen = new FakeScreen();
  const console = new ChatConsole({
    input: keyboard,
    output: screen,
    isTerminal: true,
    color: false,
  });
  console.show("*** Room open");
  const typing = console.typedLines().next();
  await settle();
  assertEquals(screen.text.split("You: ").length - 1, 1);
  assertOk(screen.text.startsWith("*** Room open\n"));
  console.close();
  await typing;
});

Deno.test("ChatConsole prints an incoming line above the half-typed one", async () => {
  const { keyboard, screen, console, done } = openConsole();
  keyboard.write("half");
  await settle();
  screen.text = "";
  console.show("an incoming line");
  // Cleared, the line printed, then the prompt and the typing drawn again.
  assertOk(screen.text.includes("an incoming line\n"), screen.text);
  const redrawn = screen.text.slice(screen.text.indexOf("an incoming line\n"));
  assertOk(redrawn.includes("You: half"), JSON.stringify(screen.text));
  console.close();
  await done;
});

Deno.test("ChatConsole refuses a line over the limit and puts it back to be shortened", async () => {
  const { keyboard, console, frames, done } = openConsole({
    maxLineBytes: 10,
  });
  keyboard.write("12345678901\rshort\r");
  await settle();
  assertEquals(frames, [{ kind: "oversize", bytes: 11 }, {
    kind: "line",
    text: "short",
  }]);
  // Back in the editor: Backspace, Enter sends the shortened line.
  keyboard.write("\x7f\r");
  await settle();
  assertEquals(frames.at(-1), { kind: "line", text: "1234567890" });
  console.close();
  await done;
});

Deno.test("ChatConsole ends typing on Ctrl+D on an empty line", async () => {
  const { keyboard, frames, done } = openConsole();
  keyboard.write("sent\r\x04");
  await done;
  assertEquals(frames, [{ kind: "line", text: "sent" }]);
});

Deno.test("ChatConsole puts --timestamps' local time before incoming lines", () => {
  const screen = new FakeScreen();
  const console = new ChatConsole({
    output: screen,
    isTerminal: true,
    color: false,
    timestamps: true,
    now: () => new Date(2026, 0, 2, 9, 5),
  });
  console.show("<bob> hi");
  assertEquals(screen.text, "[09:05] <bob> hi\n");
});
