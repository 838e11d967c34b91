// What a terminal shows in take-turns and room clients when the other side
// does something while this side is typing (tmux: a real pty).

import { assertEquals, assertOk } from "./support/assert.ts";
import { startServer } from "./support/process.ts";
import { startRoomServer } from "./support/room_server.ts";
import { testNeeding } from "./support/requires.ts";
import { shellQuote, TMUX_MISSING, TmuxPane } from "./support/tmux.ts";

const DENO = shellQuote(Deno.execPath());
const CLOSED = "The other side closed the connection.";

testNeeding(
  TMUX_MISSING,
  "take-turns client notices a hang-up while its user is typing, on a line of its own",
  async () => {
    const { server, port } = await startServer();
    await using _server = server;
    await using pane = await TmuxPane.start(
      `${DENO} task client --port ${port}`,
    );
    await pane.waitForScreen((lines) => lines.at(-1) === "You:");
    await server.stdout.waitForMatch(/^Connected to /);
    await pane.type("half");
    await pane.waitForScreen((lines) => lines.at(-1) === "You: half");
    server.child.kill("SIGINT");
    // Said at once, nothing typed: and not glued to the half-typed text.
    const screen = await pane.waitForExitOrPrompt();
    assertEquals(screen.slice(-3), ["You: half", CLOSED, "[exit 0]"]);
  },
);

testNeeding(
  TMUX_MISSING,
  "take-turns client ended with Ctrl+D leaves the prompt's line before exiting",
  async () => {
    const { server, port } = await startServer();
    await using _server = server;
    await using pane = await TmuxPane.start(
      `${DENO} task client --port ${port}`,
    );
    await pane.waitForScreen((lines) => lines.at(-1) === "You:");
    await pane.press("C-d");
    const screen = await pane.waitForExitOrPrompt();
    // What follows (here "[exit 0]", for a user their shell's prompt) starts
    // on a line of its own.
    assertEquals(screen.slice(-2), ["You:", "[exit 0]"]);
    await server.stdout.waitForContaining(CLOSED);
  },
);

testNeeding(
  TMUX_MISSING,
  "a client that forgot --name recognises a room's welcome and joins with the name typed",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using pane = await TmuxPane.start(
      `${DENO} task client --port ${port}`,
    );
    const screen = await pane.waitForScreen((lines) =>
      lines.some((line) => line.startsWith("(This server is a room"))
    );
    assertOk(
      screen.some((line) =>
        line.startsWith("*** Welcome to the chatlab room.")
      ),
      screen.join("\n"),
    );
    assertOk(!screen.some((line) => line.startsWith("Received:")));
    await pane.type("alice");
    await pane.press("Enter");
    await pane.waitForScreen((lines) =>
      lines.some((line) => line.startsWith("*** Hello alice!"))
    );
    await server.stdout.waitForContaining("*** alice joined");
    await pane.type("hello room");
    await pane.press("Enter");
    await server.stdout.waitForContaining("<alice> hello room");
    // The room's lines show as they come, without waiting for a turn.
    await server.writeLines("welcome, alice");
    await pane.waitForScreen((lines) =>
      lines.some((line) => line === "<host> welcome, alice")
    );
  },
);

testNeeding(
  TMUX_MISSING,
  "a room client with --name does not show the welcome's 'Type your name'",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using pane = await TmuxPane.start(
      `${DENO} task client --port ${port} --name alice`,
    );
    const screen = await pane.waitForScreen((lines) =>
      lines.some((line) => line.startsWith("*** Hello alice!"))
    );
    assertEquals(screen.filter((line) => /Type your name/.test(line)), []);
  },
);

testNeeding(
  TMUX_MISSING,
  "chat client shows an oversize message as the documented error line",
  async () => {
    const { server, port } = await startServer(["--mode", "chat"]);
    await using _server = server;
    await using pane = await TmuxPane.start(
      `${DENO} task client --port ${port} --mode chat`,
      { width: 100 },
    );
    await pane.waitForScreen((lines) => lines.at(-1) === "You:");
    await pane.type("x".repeat(1200));
    await pane.press("Enter");
    const screen = await pane.waitForScreen((lines) =>
      lines.some((line) => line.startsWith("error:"))
    );
    assertEquals(screen.filter((line) => line.startsWith("error:")), [
      "error: Message is 1200 bytes; the limit is 1024 bytes, so it was not sent",
    ]);
  },
);
