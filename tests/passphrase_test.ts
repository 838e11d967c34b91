// A room passphrase is never silently dropped: a server that cannot read
// one refuses to start, and every room says at start whether it has one.

import { assertEquals } from "./support/assert.ts";
import { assertNoStackTrace } from "./support/chat.ts";
import { startNcClient } from "./support/peers.ts";
import { RunningProcess, runScript } from "./support/process.ts";
import { startRoomServer } from "./support/room_server.ts";
import { needProgram, testNeeding } from "./support/requires.ts";
import { ScratchDir } from "./support/scratch.ts";

async function outcome(process: RunningProcess) {
  const status = await process.finish();
  assertNoStackTrace(process.stderr.text);
  return {
    code: status.code,
    stdout: process.stdout.lines,
    stderr: process.stderr.lines,
  };
}

Deno.test("a room server that may not read CHATLAB_PASSWORD refuses to start, even with it set", async () => {
  // The README's "Two computers" command, with the passphrase section's
  // variable: before, the room opened to anyone and said nothing.
  const server = new RunningProcess(Deno.execPath(), [
    "run",
    "--allow-net",
    "server.ts",
    "--room",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
  ], { env: { CHATLAB_PASSWORD: "sesame" } });
  assertEquals(await outcome(server), {
    code: 1,
    stdout: [],
    stderr: [
      "error: This run may not read CHATLAB_PASSWORD, so a room passphrase set there would be ignored: add --allow-env=CHATLAB_PASSWORD to the deno run command (deno task server has it), or use --password-file FILE",
    ],
  });
});

Deno.test("a room server whose --password-file cannot be read refuses to start", async () => {
  await using folder = await ScratchDir.create();
  const missing = `${folder.path}/no-such-passphrase`;
  const server = runScript("server.ts", [
    "--room",
    "--port",
    "0",
    "--password-file",
    missing,
  ], { permissions: [`--allow-read=${folder.path}`] });
  assertEquals((await outcome(server)).stderr, [
    `error: Cannot read the passphrase file "${missing}": no such file, so the room would be open to anyone: fix the file or its name`,
  ]);
});

Deno.test("a room server says when it is open to anyone", async () => {
  const { server, port } = await startRoomServer();
  await using _server = server;
  await server.stdout.waitForLine(
    `Room open to anyone who can reach port ${port} (no passphrase; set CHATLAB_PASSWORD to require one)`,
  );
});

testNeeding(
  needProgram("nc", "netcat-openbsd"),
  "a --password-file room refuses nc without the passphrase and admits it with it",
  async () => {
    await using folder = await ScratchDir.create();
    const file = await folder.write("passphrase", "sesame\n");
    const { server, port } = await startRoomServer(
      ["--password-file", file],
      { permissions: [`--allow-read=${folder.path}`] },
    );
    await using _server = server;
    await server.stdout.waitForLine("Room protected by a passphrase");

    await using stranger = startNcClient(port);
    await stranger.stdout.waitForMatch(/needs a password/);
    await stranger.writeLines("open sesame");
    await stranger.stdout.waitForContaining("*** Disconnected: wrong password");

    await using student = startNcClient(port);
    await student.writeLines("sesame", "bob", "hello");
    await student.stdout.waitForContaining("*** Hello bob!");
    await server.stdout.waitForContaining("<bob> hello");
  },
);
