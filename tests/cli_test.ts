// The command lines of server.ts and client.ts: help, and the forms of
// --host and --port a user may type.

import { assertEquals, assertMatch } from "./support/assert.ts";
import {
  assertNoStackTrace,
  runScriptToExit,
  runToExit,
} from "./support/chat.ts";
import { exactLine, LOOPBACK } from "./support/peers.ts";
import { RunningProcess, runScript } from "./support/process.ts";
import { CLIENT_HELP, SERVER_HELP } from "../lib/cli/options.ts";

const CONNECTED = /^Connected to 127\.0\.0\.1:\d+\./;

for (
  const [script, help] of [
    ["server.ts", SERVER_HELP],
    ["client.ts", CLIENT_HELP],
  ] as const
) {
  for (const flag of ["--help", "-h"]) {
    Deno.test(`${script} ${flag} prints its usage and exits 0`, async () => {
      const outcome = await runScriptToExit(script, [flag]);
      assertEquals(outcome.stdout.join("\n"), help);
      assertMatch(outcome.stdout[0], new RegExp(`^Usage: ${script} `));
      assertMatch(help, /--host HOST/);
      assertMatch(help, /--port PORT/);
      assertEquals(outcome.stderr, []);
      assertEquals(outcome.status.code, 0);
    });
  }

  Deno.test(`${script} --help needs no network permission`, async () => {
    const outcome = await runToExit(Deno.execPath(), [
      "run",
      script,
      "--help",
    ]);
    assertEquals(outcome.stdout.join("\n"), help);
    assertNoStackTrace(outcome.stderr.join("\n"));
    assertEquals(outcome.status.code, 0);
  });
}

Deno.test("server on port 0 prints the free port it got, and listens there", async () => {
  await using server = runScript("server.ts", ["--port", "0"]);
  const match = await server.stdout.waitFor(
    /^Listening on 127\.0\.0\.1:(\d+)$/,
  );
  const port = Number(match[1]);
  assertMatch(String(port), /^[1-9]\d{0,4}$/);
  using conn = await Deno.connect({ hostname: LOOPBACK, port });
  await server.stdout.waitFor(CONNECTED);
  assertEquals(conn.remoteAddr.port, port);
});

Deno.test("client accepts HOST PORT positionally, like the lesson", async () => {
  await using server = runScript("server.ts", ["--port", "0"]);
  const port = await portOf(server);
  await using client = runScript("client.ts", [LOOPBACK, String(port)]);
  await client.stdout.waitFor(exactLine(`Connected to 127.0.0.1:${port}.`));
  await client.writeLines("positional");
  await server.stdout.waitFor(exactLine("Received: positional"));
});

Deno.test("client and server accept -p and --port=N", async () => {
  await using server = runScript("server.ts", ["--port=0"]);
  const port = await portOf(server);
  await using client = runScript("client.ts", ["-p", String(port)]);
  await client.stdout.waitFor(exactLine(`Connected to 127.0.0.1:${port}.`));
  await client.writeLines("short option");
  await server.stdout.waitFor(exactLine("Received: short option"));
});

async function portOf(server: RunningProcess): Promise<number> {
  const match = await server.stdout.waitFor(/^Listening on .*:(\d+)$/);
  return Number(match[1]);
}
