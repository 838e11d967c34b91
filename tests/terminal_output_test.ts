import { assertEquals } from "./support/assert.ts";
import { Writable } from "node:stream";
import { TerminalOutput } from "../lib/chat/terminal_output.ts";

/** A terminal that records what is written to it, 80 columns wide. */
class RecordingTerminal extends Writable {
  readonly written: string[] = [];
  readonly columns = 80;
  readonly rows = 24;
  override _write(
    chunk: string | Uint8Array,
    _encoding: string,
    callback: () => void,
  ): void {
    this.written.push(String(chunk));
    callback();
  }
}

Deno.test("terminal output erases to the end of the screen without the scrollback", () => {
  const terminal = new RecordingTerminal();
  const output = new TerminalOutput(terminal);
  output.write("\x1b[3A");
  output.write("\x1b[1G");
  output.write("\x1b[0J");
  output.write("You: hi");
  assertEquals(terminal.written, [
    "\x1b[3A",
    "\x1b[1G",
    "\x1b7\x1b[2K\x1b[1B\x1b[0J\x1b8",
    "You: hi",
  ]);
});

Deno.test("terminal output clears the screen as asked after the cursor goes home (Ctrl+L)", () => {
  const terminal = new RecordingTerminal();
  const output = new TerminalOutput(terminal);
  output.write("\x1b[1;1H");
  output.write("\x1b[0J");
  output.write("\x1b[1G");
  output.write("\x1b[0J");
  assertEquals(terminal.written, [
    "\x1b[1;1H",
    "\x1b[0J",
    "\x1b[1G",
    "\x1b7\x1b[2K\x1b[1B\x1b[0J\x1b8",
  ]);
});

Deno.test("terminal output writes at once, in order, and passes on size and resizes", () => {
  const terminal = new RecordingTerminal();
  const output = new TerminalOutput(terminal);
  let resizes = 0;
  output.on("resize", () => resizes++);
  output.write("a");
  terminal.write("b");
  output.write("c");
  terminal.emit("resize");
  output.detach();
  terminal.emit("resize");
  assertEquals(terminal.written.join(""), "abc");
  assertEquals([output.columns, output.rows, resizes], [80, 24, 1]);
});
