// The terminal client as a person sees it: real ptys (tmux panes), real
// servers and clients, keys sent one by one, the screen read back.

import { assertEquals, assertMatch, assertOk } from "./support/assert.ts";
import { RawClient } from "./support/raw_client.ts";
import { testNeeding } from "./support/requires.ts";
import { NEEDS_TMUX } from "./support/programs.ts";
import { startRoomServer } from "./support/room_server.ts";
import { startServer } from "./support/process.ts";
import { joinRows, TmuxPane, type TmuxPaneOptions } from "./support/tmux.ts";

/** `deno task NAME`'s command line from deno.json, run without its "Task" line. */
function taskCommand(name: "client" | "server"): string[] {
  const tasks = JSON.parse(
    Deno.readTextFileSync(new URL("../deno.json", import.meta.url)),
  ).tasks as Record<string, string>;
  return tasks[name].split(" ").map((word) =>
    word === "deno" ? Deno.execPath() : word
  );
}

/** `client.ts` with exactly the permissions of `deno task client`. */
const CLIENT = taskCommand("client");

/** `server.ts` with exactly the permissions of `deno task server`. */
const SERVER = taskCommand("server");

/** A pane 80 columns by 24 rows, without NO_COLOR unless a test sets it. */
function startPane(
  args: string[],
  options: TmuxPaneOptions = {},
): Promise<TmuxPane> {
  return TmuxPane.start(args, {
    width: 80,
    height: 24,
    ...options,
    env: { NO_COLOR: null, ...options.env },
  });
}

/** `0123456789` twenty times: 200 characters whose every row is recognisable. */
const LONG_LINE = Array.from({ length: 20 }, (_, i) => `${i % 10}123456789`)
  .join("");

/** Joins `alice` to a room in a pane; returns the pane once her prompt shows. */
async function aliceInRoom(
  port: number,
  options: { width?: number; height?: number; extra?: string[] } = {},
): Promise<TmuxPane> {
  const pane = await startPane([
    ...CLIENT,
    "--port",
    String(port),
    "--name",
    "alice",
    ...options.extra ?? [],
  ], options);
  try {
    await pane.waitForScreen((rows) =>
      rows.some((row) => row.includes("*** Hello alice!")) &&
      rows.at(-1) === "You:"
    );
  } catch (error) {
    await pane[Symbol.asyncDispose]();
    throw error;
  }
  return pane;
}

testNeeding(
  NEEDS_TMUX,
  "chat client in a terminal prints incoming lines above the half-typed input",
  async () => {
    const { server, port } = await startServer(["--mode", "chat"]);
    await using _server = server;
    await using pane = await startPane([
      ...CLIENT,
      "--port",
      String(port),
      "--mode",
      "chat",
    ], { width: 100, height: 20 });
    await pane.waitForBottom("You:");
    await server.stdout.waitForMatch(/^Connected to /);
    await pane.type("half typ");
    await pane.waitForBottom("You: half typ");

    await server.writeLines("an incoming line");
    const screen = await pane.waitForBottom(
      "Received: an incoming line",
      "You: half typ",
    );
    // Nothing was clobbered: the half-typed text appears once, intact.
    assertEquals(screen.filter((row) => row.includes("half typ")), [
      "You: half typ",
    ]);

    await pane.type("ed");
    await pane.press("Enter");
    await server.stdout.waitForLine("Received: half typed");

    // A line typed and sent in one burst (a paste) stays on screen too.
    await pane.type("pasted line\r");
    await server.stdout.waitForLine("Received: pasted line");
    await pane.waitForBottom("You: pasted line", "You:");
  },
);

testNeeding(
  NEEDS_TMUX,
  "terminal client edits a line as a shell does: arrows, Home/End, Ctrl+A/E/W/U/K, Delete, word moves, Ctrl+L",
  async () => {
    await using room = await startRoomServer().then((r) => r.server);
    const port = Number(
      room.stdout.lines.find((line) => line.startsWith("Listening on"))!
        .split(":").at(-1),
    );
    await using pane = await aliceInRoom(port);
    // Left three times, then insert in the middle.
    await pane.type("hello wrld");
    await pane.press("Left", "Left", "Left");
    await pane.type("o");
    await pane.press("Enter");
    await room.stdout.waitForLine("<alice> hello world");
    // Home and End (and Ctrl+A / Ctrl+E).
    await pane.type("middle");
    await pane.press("Home");
    await pane.type("start ");
    await pane.press("End");
    await pane.type(" end");
    await pane.press("C-a");
    await pane.type("[");
    await pane.press("C-e");
    await pane.type("]");
    await pane.press("Enter");
    await room.stdout.waitForLine("<alice> [start middle end]");
    // Ctrl+W deletes the word before the cursor.
    await pane.type("one two three");
    await pane.press("C-w");
    await pane.type("four");
    await pane.press("Enter");
    await room.stdout.waitForLine("<alice> one two four");
    // Ctrl+U and Ctrl+K delete before and after the cursor; Delete one char.
    await pane.type("drop this|keep|drop that");
    await pane.press(...Array(10).fill("Left"), "C-k");
    await pane.press(...Array(5).fill("Left"), "C-u", "Delete");
    await pane.press("Enter");
    await room.stdout.waitForLine("<alice> keep");
    // Alt+B / Alt+F move by words.
    await pane.type("alpha gamma");
    await pane.press("M-b");
    await pane.type("beta ");
    await pane.press("M-f");
    await pane.type("!");
    await pane.press("Enter");
    await room.stdout.waitForLine("<alice> alpha beta gamma!");
    // So do Ctrl+Left / Ctrl+Right.
    await pane.type("one three");
    await pane.press("C-Left");
    await pane.type("two ");
    // Ctrl+Right goes to the start of the next word, as in Node's readline.
    await pane.press("C-Left", "C-Left", "C-Right", "Left");
    await pane.type(",");
    await pane.press("Enter");
    await room.stdout.waitForLine("<alice> one, two three");
    // Ctrl+L clears the screen and draws the half-typed line at the top;
    // what was on the screen stays in the scrollback, as in a shell.
    await pane.type("still here");
    await pane.press("C-l");
    await pane.waitForScreen((rows) =>
      rows.length === 1 && rows[0] === "You: still here"
    );
    const scrollback = await pane.screen({ scrollback: true });
    assertOk(
      scrollback.some((row) => row.startsWith("*** Hello alice!")),
      `the welcome kept in:\n${scrollback.join("\n")}`,
    );
  },
);

testNeeding(
  NEEDS_TMUX,
  "terminal client recalls this session's sent lines with Up and Down",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using pane = await aliceInRoom(port);
    await pane.type("first line\r");
    await server.stdout.waitForLine("<alice> first line");
    await pane.type("second line\r");
    await server.stdout.waitForLine("<alice> second line");
    await pane.press("Up", "Up");
    await pane.waitForBottom("You: first line");
    await pane.press("Down");
    await pane.waitForBottom("You: second line");
    await pane.type(" again");
    await pane.press("Enter");
    await server.stdout.waitForLine("<alice> second line again");
  },
);

testNeeding(
  NEEDS_TMUX,
  "a 200-character line in 80 columns stays intact while three lines arrive",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using pane = await aliceInRoom(port, { width: 80 });
    await pane.type(LONG_LINE);
    // "You: " and 200 characters wrap to three rows of 80, 80 and 45.
    await pane.waitForScreen((rows) =>
      joinRows(rows.slice(-3)) === `You: ${LONG_LINE}`
    );
    for (const n of [1, 2, 3]) {
      await server.writeLines(`incoming ${n}`);
      await pane.waitForScreen((rows) =>
        rows.includes(`<host> incoming ${n}`) &&
        joinRows(rows.slice(-3)) === `You: ${LONG_LINE}`
      );
    }
    const screen = await pane.screen();
    for (const n of [1, 2, 3]) {
      assertEquals(
        screen.filter((row) => row === `<host> incoming ${n}`).length,
        1,
        `incoming ${n} once in:\n${screen.join("\n")}`,
      );
    }
    // The typed line shows once: its three rows and no leftovers of them.
    assertEquals(
      screen.filter((row) => /^(You: )?[0-9]{10}/.test(row)).length,
      3,
      `the typed line once in:\n${screen.join("\n")}`,
    );
    assertEquals(screen.slice(-6, -3), [
      "<host> incoming 1",
      "<host> incoming 2",
      "<host> incoming 3",
    ]);
    await pane.press("Enter");
    await server.stdout.waitForLine(`<alice> ${LONG_LINE}`);
  },
);

testNeeding(
  NEEDS_TMUX,
  "wide characters count as two columns when a wrapped line is redrawn",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using pane = await aliceInRoom(port, { width: 40 });
    // "You: " (5 columns) + 20 wide characters (40 columns) + "🎉 end":
    // 17 wide characters fit on the first row (5 + 34 = 39; the 18th would
    // straddle the edge), so the line takes two rows.
    const typed = "你好".repeat(10) + "🎉 end";
    await pane.type(typed);
    await server.writeLines("你好 from the host");
    const screen = await pane.waitForScreen((rows) =>
      rows.at(-3) === "<host> 你好 from the host" &&
      joinRows(rows.slice(-2)) === `You: ${typed}`
    );
    assertEquals(screen.at(-2), `You: ${"你好".repeat(8)}你`);
    assertEquals(screen.filter((row) => row.includes("🎉")).length, 1);
    // The cursor is still at the end: typing goes on from there.
    await pane.type("!");
    await pane.press("Enter");
    await server.stdout.waitForLine(`<alice> ${typed}!`);
  },
);

testNeeding(
  NEEDS_TMUX,
  "Tab completes a command name and a member's name in a room",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using bob = await RawClient.join(port, "bob");
    await using pane = await aliceInRoom(port);
    await pane.type("/ms");
    await pane.press("Tab");
    await pane.waitForBottom("You: /msg");
    await pane.type("b");
    await pane.press("Tab");
    await pane.waitForBottom("You: /msg bob");
    await pane.type("hi bob\r");
    await bob.waitForLineStarting("*alice* hi bob");
    // Someone who joins later is completed too (learnt from "*** carol joined").
    await using _carol = await RawClient.join(port, "carol");
    await pane.waitForScreen((rows) => rows.includes("*** carol joined"));
    await pane.type("hello ca");
    await pane.press("Tab");
    await pane.waitForBottom("You: hello carol");
  },
);

testNeeding(
  NEEDS_TMUX,
  "a paste of several lines sends each; one over 1024 bytes is refused and stays in the editor",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using pane = await aliceInRoom(port, { width: 120, height: 40 });
    const oversize = "y".repeat(1100);
    await pane.paste(`first pasted\n${oversize}\nlast pasted\n`);
    await server.stdout.waitForLine("<alice> first pasted");
    await server.stdout.waitForLine("<alice> last pasted");
    const screen = await pane.waitForScreen((rows) =>
      rows.some((row) =>
        row ===
          "error: Message is 1100 bytes; the limit is 1024 bytes, so it was not sent"
      ) && rows.at(-1)!.endsWith("y") &&
      joinRows(rows.slice(-10)) === `You: ${oversize}`
    );
    assertOk(
      !server.stdout.text.includes("yyyy"),
      "the oversize line was sent",
    );
    // Shortened, it goes.
    await pane.press(...Array(100).fill("BSpace"));
    // "You: " and 1000 bytes: eight rows of 120 and one of 45.
    await pane.waitForScreen((rows) =>
      joinRows(rows.slice(-9)) === `You: ${"y".repeat(1000)}`
    );
    await pane.press("Enter");
    await server.stdout.waitForLine(`<alice> ${"y".repeat(1000)}`);
    // The refusal was said once, and the oversize line drawn once.
    assertEquals(
      screen.filter((row) => row.startsWith("error: Message")).length,
      1,
    );
  },
);

for (const full of [false, true]) {
  testNeeding(
    NEEDS_TMUX,
    `after resizes (narrower, then wider) an incoming line leaves the half-typed line intact${
      full ? ", with a full screen" : ""
    }`,
    async () => {
      const { server, port } = await startRoomServer();
      await using _server = server;
      await using pane = await aliceInRoom(port, { width: 80 });
      // A full screen scrolls; an emptier one puts the line at the top.
      const before = full
        ? Array.from({ length: 30 }, (_, i) => `line ${i + 1}`)
        : [];
      if (full) {
        await server.writeLines(...before);
        await pane.waitForScreen((rows) => rows.at(-2) === "<host> line 30");
      }
      await pane.type(LONG_LINE);
      await pane.waitForScreen((rows) =>
        joinRows(rows.slice(-3)) === `You: ${LONG_LINE}`
      );
      await pane.resize(50);
      // 205 characters in 50 columns: five rows.
      await pane.waitForScreen((rows) =>
        joinRows(rows.slice(-5)) === `You: ${LONG_LINE}`
      );
      await server.writeLines("after the resize");
      const screen = await pane.waitForScreen((rows) =>
        rows.at(-6) === "<host> after the resize" &&
        joinRows(rows.slice(-5)) === `You: ${LONG_LINE}`
      );
      assertEquals(
        screen.filter((row) => /^(You: )?[0-9]{5}/.test(row)).length,
        5,
        `the typed line once in:\n${screen.join("\n")}`,
      );
      // Wider again: 205 characters in 120 columns are two rows. tmux keeps
      // the cursor's row on a narrowing, so the typed line was redrawn from the
      // screen's top-left corner, where an erase moves the screen into tmux's
      // scrollback: no copy of the line may be left there either.
      await pane.resize(120);
      await server.writeLines("after growing");
      const wide = await pane.waitForScreen(
        (rows) =>
          rows.at(-3) === "<host> after growing" &&
          joinRows(rows.slice(-2)) === `You: ${LONG_LINE}`,
        { scrollback: true },
      );
      assertEquals(
        wide.filter((row) => /^(You: )?[0-9]{5}/.test(row)).length,
        2,
        `the typed line once in:\n${wide.join("\n")}`,
      );
      assertEquals(wide.slice(-5, -2), [
        full
          ? "<host> line 30"
          : "*** Hello alice! In the room (2): host, alice. Type /help for commands.",
        "<host> after the resize",
        "<host> after growing",
      ]);
      await pane.press("Enter");
      await server.stdout.waitForLine(`<alice> ${LONG_LINE}`);
    },
  );
}

testNeeding(
  NEEDS_TMUX,
  "names are coloured in a terminal, never with NO_COLOR, and no permission is asked",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using coloured = await aliceInRoom(port);
    await using plain = await startPane([
      ...CLIENT,
      "--port",
      String(port),
      "--name",
      "bob",
    ], { env: { NO_COLOR: "1" } });
    await plain.waitForBottom("You:");
    await coloured.waitForScreen((rows) => rows.includes("*** bob joined"));
    await server.writeLines("hello alice and bob");
    const colours = await coloured.waitForScreen(
      (rows) => rows.some((row) => row.includes("hello alice")),
      { escapes: true },
    );
    const said = colours.find((row) => row.includes("hello alice"))!;
    // The name in a colour of its own; the line mentions alice: highlighted.
    // (ESC shown as "^[" to keep control characters out of the regexes.)
    const visible = said.replaceAll("\x1b", "^[");
    assertMatch(visible, /<\^\[\[\d+mhost\^\[\[39m> /);
    assertMatch(visible, /\^\[\[[\d;]*7mhello alice and bob/);
    const noColours = await plain.waitForScreen(
      (rows) => rows.some((row) => row.includes("hello alice")),
      { escapes: true },
    );
    assertEquals(
      noColours.find((row) => row.includes("hello alice")),
      "<host> hello alice and bob",
    );
    for (const screen of [colours, noColours]) {
      assertOk(
        !screen.some((row) => /Deno requests|permission/i.test(row)),
        `a permission prompt in:\n${screen.join("\n")}`,
      );
    }
  },
);

testNeeding(
  NEEDS_TMUX,
  "--timestamps puts the local time in front of each incoming line",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using pane = await aliceInRoom(port, { extra: ["--timestamps"] });
    await server.writeLines("what time is it");
    const screen = await pane.waitForScreen((rows) =>
      rows.some((row) => row.endsWith("<host> what time is it"))
    );
    assertMatch(
      screen.find((row) => row.endsWith("what time is it"))!,
      /^\[\d\d:\d\d\] <host> what time is it$/,
    );
    // The host at the server can have them too.
    await using host = await startPane([
      ...SERVER,
      "--room",
      "--port",
      "0",
      "--timestamps",
    ]);
    const hostScreen = await host.waitForBottom("You:");
    const hostPort = Number(hostScreen[0].match(/:(\d+)$/)![1]);
    await using _bob = await RawClient.join(hostPort, "bob");
    await host.waitForScreen((rows) =>
      rows.some((row) => /^\[\d\d:\d\d\] \*\*\* bob joined$/.test(row))
    );
  },
);

testNeeding(
  NEEDS_TMUX,
  "a room host in a terminal sees one prompt at start and can type to the room",
  async () => {
    await using pane = await startPane([
      ...SERVER,
      "--room",
      "--port",
      "0",
    ]);
    const screen = await pane.waitForBottom(
      '*** Room open as "host". Type to talk to the room; /help for commands.',
      "You:",
    );
    assertEquals(screen.filter((row) => row.includes("You:")), ["You:"]);
    const port = Number(screen[0].match(/:(\d+)$/)![1]);
    await using alice = await RawClient.join(port, "alice");
    await pane.waitForBottom("*** alice joined", "You:");
    await pane.type("hi al");
    await pane.press("Tab");
    await pane.waitForBottom("*** alice joined", "You: hi alice");
    await pane.press("Enter");
    await alice.waitForLineStarting("<host> hi alice");
  },
);

testNeeding(
  NEEDS_TMUX,
  "the other side closing leaves its notice on a clean line, not glued to the prompt",
  async () => {
    const { server, port } = await startServer(["--mode", "chat"]);
    await using _server = server;
    await using pane = await startPane([
      ...CLIENT,
      "--port",
      String(port),
      "--mode",
      "chat",
    ]);
    await pane.waitForBottom("You:");
    await server.stdout.waitForMatch(/^Connected to /);
    await pane.type("half");
    await pane.waitForBottom("You: half");
    await server.finish();
    const screen = await pane.waitForBottom(
      "The other side closed the connection.",
      "[exit 0]",
    );
    assertOk(
      !screen.some((row) => row.includes("half")),
      `leftover typing in:\n${screen.join("\n")}`,
    );
  },
);

testNeeding(
  NEEDS_TMUX,
  "take-turns mode keeps the plain You: prompt, edits lines and offers a refused one again",
  async () => {
    const { server, port } = await startServer();
    await using _server = server;
    await using pane = await startPane([
      ...CLIENT,
      "--port",
      String(port),
    ]);
    await pane.waitForBottom("You:");
    await pane.type("hllo");
    await pane.press("Home", "Right");
    await pane.type("e");
    await pane.press("Enter");
    await server.stdout.waitForLine("Received: hello");
    await server.writeLines("your turn");
    await pane.waitForBottom("You: hello", "Received: your turn", "You:");
    // History reaches back across turns.
    await pane.press("Up");
    await pane.type(" again");
    await pane.press("Enter");
    await server.stdout.waitForLine("Received: hello again");
    // A line over 1024 bytes is refused and offered again to be shortened.
    await server.writeLines("and again");
    await pane.waitForBottom("Received: and again", "You:");
    await pane.type(`${"z".repeat(1030)}\r`);
    await pane.waitForScreen((rows) =>
      rows.some((row) =>
        row ===
          "error: Message is 1030 bytes; the limit is 1024 bytes, so it was not sent"
      ) && joinRows(rows.slice(-13)) === `You: ${"z".repeat(1030)}`
    );
    await pane.press(...Array(10).fill("BSpace"), "Enter");
    await server.stdout.waitForLine(`Received: ${"z".repeat(1020)}`);
    // A paste of two lines: the second is sent at this side's next turn.
    await server.writeLines("paste now");
    await pane.waitForBottom("Received: paste now", "You:");
    await pane.paste("pasted one\npasted two\n");
    await server.stdout.waitForLine("Received: pasted one");
    await server.writeLines("go on");
    await server.stdout.waitForLine("Received: pasted two");
  },
);
