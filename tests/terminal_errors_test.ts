// Every row of the README's error table, run in a real terminal (tmux): one
// line on the screen, the right exit code, and never a Deno permission
// prompt or a stack trace. (tests/errors_test.ts checks the same errors
// with pipes; a terminal is where Deno would stop and ask.)
//
// Nothing here sends traffic anywhere but 127.0.0.1: the unknown host is
// looked up in a network namespace of its own with DNS turned off.

import { assertEquals, assertOk } from "./support/assert.ts";
import { assertNoStackTrace } from "./support/chat.ts";
import { inlineCode, markdownTable, readDoc } from "./support/docs.ts";
import {
  isolated,
  ISOLATION_UNAVAILABLE,
  isRoot,
} from "./support/isolation.ts";
import { LOOPBACK } from "./support/peers.ts";
import { commandOutput, startServer } from "./support/process.ts";
import { firstMissing, testNeeding } from "./support/requires.ts";
import { shellQuote, TMUX_MISSING, TmuxPane } from "./support/tmux.ts";

const DENO = shellQuote(Deno.execPath());

/** How to make one row of the table happen, and what it must end with. */
interface ErrorCase {
  /** Why it cannot run here, or `null`. */
  missing?: string | null;
  /** The exit code (2: the command line, 1: anything else). */
  code: 1 | 2;
  /** The `sh -c` line to type, given a port nothing listens on. */
  command(port: number): string | Promise<string>;
  /** The README's text made concrete for this run (ports). */
  expected(readme: string, port: number): string;
}

const sameText = (readme: string) => readme;
const withPort = (readme: string, port: number) =>
  readme.replaceAll("5555", String(port));

const UNPRIVILEGED_PORT_START = Number(
  await commandOutput("cat", [
    "/proc/sys/net/ipv4/ip_unprivileged_port_start",
  ]) ??
    1024,
);
const PRIVILEGED_PORT = Math.min(80, UNPRIVILEGED_PORT_START - 1);

/** Holds a port on 127.0.0.1 for the test's whole run: "the port is taken". */
const heldPort = Deno.listen({ hostname: LOOPBACK, port: 0 });

/** The README's situations (first column), each with how to make it happen. */
const CASES: Record<string, ErrorCase> = {
  "nobody listens there": {
    code: 1,
    command: (port) => `${DENO} task client --port ${port}`,
    expected: withPort,
  },
  "a name that can't be found": {
    missing: ISOLATION_UNAVAILABLE,
    code: 1,
    command: () => {
      const { command, args } = isolated(Deno.execPath(), [
        "run",
        "--allow-net",
        "--allow-env=CHATLAB_PASSWORD",
        "client.ts",
        "--host",
        "no-such-host",
      ]);
      return [command, ...args].map(shellQuote).join(" ");
    },
    expected: sameText,
  },
  "the lesson's example `123.456.789.123`": {
    code: 2,
    command: () => `${DENO} task client 123.456.789.123 5555`,
    expected: sameText,
  },
  "a port that isn't a number in range": {
    code: 2,
    command: () => `${DENO} task server --port 70000`,
    expected: sameText,
  },
  "the port is taken": {
    code: 1,
    command: () => `${DENO} task server --port ${heldPort.addr.port}`,
    expected: (readme) => readme.replace("5555", String(heldPort.addr.port)),
  },
  "a port below 1024 without admin rights": {
    missing: UNPRIVILEGED_PORT_START > 1
      ? null
      : "no port is privileged here (ip_unprivileged_port_start is 0)",
    code: 1,
    // Root keeps everything but the capability to bind a low port: what an
    // ordinary user lacks (see tests/errors_test.ts).
    command: () =>
      `${
        isRoot()
          ? "setpriv --inh-caps=-net_bind_service --bounding-set=-net_bind_service "
          : ""
      }${DENO} task server --port ${PRIVILEGED_PORT}`,
    expected: (readme) => readme.replace("80", String(PRIVILEGED_PORT)),
  },
  "an address this computer doesn't have": {
    code: 1,
    // TEST-NET-3 (RFC 5737): bind() fails at once, nothing is sent.
    command: () => `${DENO} task server --host 203.0.113.1`,
    expected: sameText,
  },
  "a Deno permission is missing": {
    code: 1,
    // No flags at all: in a terminal, Deno itself would stop and ask.
    command: (port) => `${DENO} run client.ts --port ${port}`,
    expected: withPort,
  },
  "a room that can't read its passphrase": {
    code: 1,
    // Fails closed: a passphrase may be set where this run cannot look.
    command: () => `${DENO} run --allow-net server.ts --room`,
    expected: sameText,
  },
  "an unknown option": {
    code: 2,
    command: () => `${DENO} task client --prot 5555`,
    expected: sameText,
  },
};

const ROWS = markdownTable(readDoc("README.md"), "situation");

Deno.test("every row of the README's error table has a terminal test", () => {
  const situations = ROWS.map(([situation]) => situation);
  const notFatal = situations.filter((s) => s.includes("(not fatal)"));
  assertEquals(
    situations.filter((s) => !notFatal.includes(s)).sort(),
    Object.keys(CASES).sort(),
  );
  assertEquals(notFatal, ["a message over the limit (not fatal)"]);
});

for (const [situation, shown] of ROWS) {
  const errorCase = CASES[situation];
  if (errorCase === undefined) continue;
  testNeeding(
    firstMissing(TMUX_MISSING, errorCase.missing ?? null),
    `in a terminal, "${situation}" is one line and exit code ${errorCase.code}, with no prompt`,
    async () => {
      const port = closedPort();
      const expected = `error: ${
        errorCase.expected(inlineCode(shown)[0].replace(/^error: /, ""), port)
      }`;
      await using pane = await TmuxPane.start(await errorCase.command(port));
      const screen = (await pane.waitForExitOrPrompt())
        // `deno task` first shows the command it runs.
        .filter((line) => !/^Task (client|server) deno run /.test(line));
      assertNoStackTrace(screen.join("\n"));
      assertEquals(screen, [expected, `[exit ${errorCase.code}]`]);
    },
  );
}

testNeeding(
  TMUX_MISSING,
  "in a terminal, a message over the limit is one error line and the prompt comes back",
  async () => {
    const [, shown] = ROWS.find(([s]) => s.includes("over the limit"))!;
    const { server, port } = await startServer();
    await using _server = server;
    await using pane = await TmuxPane.start(
      `${DENO} task client --port ${port}`,
      { width: 100 },
    );
    await pane.waitForScreen((lines) => lines.at(-1) === "You:");
    await pane.type("x".repeat(1200));
    await pane.press("Enter");
    // The refused line comes back in the editor, to be shortened.
    const screen = await pane.waitForScreen((lines) => {
      const error = lines.findIndex((line) => line.startsWith("error:"));
      return error !== -1 && lines.at(error + 1)?.startsWith("You: xxx") ===
          true &&
        lines.at(-1) === "x".repeat(5);
    });
    assertEquals(
      screen.filter((line) => line.startsWith("error:")),
      [inlineCode(shown)[0]],
    );
    // Still connected: the next message goes through.
    await pane.press("C-u");
    await pane.waitForScreen((lines) => lines.at(-1) === "You:");
    await pane.type("short one");
    await pane.press("Enter");
    await server.stdout.waitForContaining("Received: short one");
    assertOk(!screen.join("\n").includes("Allow?"));
  },
);

/** A port on 127.0.0.1 that nothing listens on: we held it a moment ago. */
function closedPort(): number {
  using listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  return listener.addr.port;
}

globalThis.addEventListener("unload", () => heldPort.close());
