// Each room limit, reached over real sockets: the client concerned gets one
// `*** Disconnected: REASON` line (or an error line) and is closed, everyone
// else keeps every message in order, and the server goes on serving.
//
// The line-length limit and the stalled reader's drop are in room_test.ts;
// here the stalled reader's socket is checked to be really closed.

import { assertEquals, assertOk } from "./support/assert.ts";
import { Puppet } from "./support/hostile_peers.ts";
import { RawClient } from "./support/raw_client.ts";
import {
  assertRoomServes,
  assertSaidInOrder,
  numberedLines,
  openFiles,
  saidBy,
  startRoomServer,
} from "./support/room_server.ts";
import { testNeeding } from "./support/requires.ts";
import { NEEDS_PYTHON3 } from "./support/programs.ts";
import { eventually, WAIT_MS } from "./support/wait.ts";
import { runScript } from "./support/process.ts";

Deno.test("room disconnects a client that sends more than --max-unterminated-bytes without a line end", async () => {
  const { server, port } = await startRoomServer([
    "--max-unterminated-bytes",
    "1000",
  ]);
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  await using rambler = await RawClient.join(port, "rambler");
  // Exactly the limit, then its line end: still a line.
  await rambler.sendRaw("x".repeat(1000));
  await rambler.send("", "before");
  await alice.waitForLine("<rambler> before");
  await rambler.sendRaw("y".repeat(1001));

  assertEquals(
    await rambler.waitForLineStarting("*** Disconnected:"),
    "*** Disconnected: sent more than 1000 bytes without a line end",
  );
  await rambler.waitForEnd();
  assertEquals(
    await alice.waitForLineStarting("*** rambler left"),
    "*** rambler left (sent more than 1000 bytes without a line end)",
  );
  assertSaidInOrder(alice.lines, "rambler", ["x".repeat(1000), "before"]);
  await assertRoomServes(port, alice, "alice");
});

Deno.test("room with --max-clients tells the next client the server is full and closes it", async () => {
  const { server, port } = await startRoomServer(["--max-clients", "2"]);
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  // A connection that has not chosen a name yet counts too.
  await using bob = await RawClient.connect(port);
  await bob.waitForLineStarting("*** Welcome");

  await using third = await RawClient.connect(port);
  assertEquals(
    await third.waitForLineStarting("*** "),
    "*** Disconnected: the server is full (2 people); try again later",
  );
  await third.waitForEnd();
  assertEquals(third.lines.length, 1);

  // The two inside are untouched; once one leaves, there is room again.
  await bob.send("bob");
  await bob.waitForLineStarting("*** Hello bob!");
  await alice.send("one", "two");
  await bob.waitForLine("<alice> two");
  assertSaidInOrder(bob.lines, "alice", ["one", "two"]);
  await bob.send("/quit");
  await alice.waitForLine("*** bob left");
  await bob.waitForEnd();
  await assertRoomServes(port, alice, "alice");
});

testNeeding(
  NEEDS_PYTHON3,
  "room with --max-per-address refuses one more client from the same address only",
  async () => {
    const { server, port } = await startRoomServer(["--max-per-address", "2"]);
    await using _server = server;
    await using alice = await RawClient.join(port, "alice");
    await using bob = await RawClient.join(port, "bob");

    await using third = await RawClient.connect(port);
    assertEquals(
      await third.waitForLineStarting("*** "),
      "*** Disconnected: too many connections from 127.0.0.1 (the limit is 2)",
    );
    await third.waitForEnd();

    // Another address (127.0.0.2 is this computer too) is welcome.
    await using carol = await Puppet.connect(port, { source: "127.0.0.2" });
    await carol.send("carol");
    await carol.waitForLineStarting("*** Hello carol!");
    await alice.send("hello everyone");
    await carol.waitForLineStarting("<alice> hello everyone");
    await bob.waitForLineStarting("<alice> hello everyone");

    // The count goes down when someone leaves.
    await bob.send("/quit");
    await bob.waitForEnd();
    await alice.waitForLineStarting("*** bob left");
    await assertRoomServes(port, alice, "alice");
  },
);

Deno.test("room flood guard lets a 30-line paste through at once, whole and in order", async () => {
  // The default limits: no --rate-limit.
  const { server, port } = await startRoomServer();
  await using _server = server;
  await using paster = await RawClient.join(port, "paster");
  await using reader = await RawClient.join(port, "reader");
  await paster.waitForLine("*** reader joined");
  const paste = numberedLines(
    `a line of a pasted program, ${"#".repeat(40)}`,
    30,
  );
  await paster.send(...paste);
  await reader.waitForLine(`<paster> ${paste.at(-1)}`);
  assertSaidInOrder(reader.lines, "paster", paste);
  await paster.send("/who");
  await paster.waitForLineStarting("*** In the room (3)");
  assertOk(!paster.lines.some((line) => line.startsWith("*** Error")));
});

Deno.test("room flood guard stops a 500-line flood with a reason, and others are untouched", async () => {
  const { server, port } = await startRoomServer();
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  await using bob = await RawClient.join(port, "bob");
  await using flooder = await RawClient.join(port, "flooder");
  await bob.waitForLine("*** flooder joined");
  await alice.send("before the flood");

  const flood = numberedLines("flood", 500);
  await flooder.send(...flood);
  await flooder.waitForLine(
    "*** Error: You are sending too fast; slow down (lines are being dropped)",
  );
  assertEquals(
    await flooder.waitForLineStarting("*** Disconnected:"),
    "*** Disconnected: flooding (too many lines too fast)",
  );
  await flooder.waitForEnd();
  assertEquals(
    await bob.waitForLineStarting("*** flooder left"),
    "*** flooder left (flooding (too many lines too fast))",
  );

  // The first 40 lines (a paste's worth) went through, in order; the budget
  // refills at 5 lines a second, so a few later ones may have too.
  const got = saidBy(bob.lines, "flooder");
  assertEquals(got.slice(0, 40), flood.slice(0, 40));
  const numbers = got.map((line) => Number(line.split(" ")[1]));
  assertEquals(numbers, [...numbers].sort((a, b) => a - b));
  assertOk(got.length < 100, `${got.length} flood lines got through`);

  await alice.send("after the flood");
  await bob.waitForLine("<alice> after the flood");
  assertSaidInOrder(bob.lines, "alice", [
    "before the flood",
    "after the flood",
  ]);
  await assertRoomServes(port, alice, "alice");
});

Deno.test("client.ts pasting a flood is told why it was cut off, and exits 1", async () => {
  const { server, port } = await startRoomServer();
  await using _server = server;
  await using reader = await RawClient.join(port, "reader");
  await using flooder = runScript("client.ts", [
    "--port",
    String(port),
    "--name",
    "flooder",
  ]);
  await flooder.stdout.waitForLineStarting("*** Hello flooder!");
  await flooder.writeLines(...numberedLines("paste", 500));
  assertEquals((await flooder.exited()).code, 1);
  assertEquals(flooder.stdout.lines.slice(-2), [
    "*** Error: You are sending too fast; slow down (lines are being dropped)",
    "*** Disconnected: flooding (too many lines too fast)",
  ]);
  assertEquals(flooder.stderr.lines, []);
  await reader.waitForLineStarting("*** flooder left");
  assertEquals(
    saidBy(reader.lines, "flooder").slice(0, 40),
    numberedLines("paste", 40),
  );
});

Deno.test("client.ts that finds the room full says so and exits 1", async () => {
  const { server, port } = await startRoomServer(["--max-clients", "1"]);
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  await using late = runScript("client.ts", [
    "--port",
    String(port),
    "--name",
    "late",
  ]);
  assertEquals((await late.exited()).code, 1);
  assertEquals(late.stdout.lines, [
    `Connected to 127.0.0.1:${port}.`,
    "*** Disconnected: the server is full (1 person); try again later",
  ]);
  assertEquals(late.stderr.lines, []);
  await alice.send("still here");
  await server.stdout.waitForLine("<alice> still here");
});

Deno.test("room flood guard counts bytes, not characters: long CJK lines use up the byte budget", async () => {
  // The default budget: 40 lines, but only about 20 KiB, at once.
  const { server, port } = await startRoomServer();
  await using _server = server;
  await using writer = await RawClient.join(port, "writer");
  await using reader = await RawClient.join(port, "reader");
  await writer.waitForLine("*** reader joined");
  // 30 lines of 333 characters, 999 bytes each: 30 KB in all.
  const lines = numberedLines("漢".repeat(330), 30);
  await writer.send(...lines);
  await writer.waitForLineStarting("*** Error: You are sending too fast");
  // Once the server has answered /who, it has judged every line; the
  // operator's line then comes to the reader after all that got through.
  await writer.send("/who");
  await writer.waitForLineStarting("*** In the room");
  await server.writeLines("sync");
  await reader.waitForLine("<host> sync");
  const got = saidBy(reader.lines, "writer");
  assertEquals(got, lines.slice(0, got.length));
  assertOk(
    got.length >= 20 && got.length < 30,
    `${got.length} lines got through`,
  );
});

Deno.test("room with --name-timeout 1 drops a connection that never chooses a name", async () => {
  const { server, port } = await startRoomServer(["--name-timeout", "1"]);
  await using _server = server;
  await using silent = await RawClient.connect(port);
  await silent.waitForLineStarting("*** Welcome");
  // The room sweeps once a second: this waits one to two seconds, by design.
  assertEquals(
    await silent.waitForLineStarting("*** Disconnected:"),
    "*** Disconnected: no name was chosen within 1 second",
  );
  await silent.waitForEnd();
  assertEquals(silent.lines.length, 2);

  // Named clients are not affected by the name deadline.
  await using alice = await RawClient.join(port, "alice");
  await assertRoomServes(port, alice, "alice");
});

Deno.test("room with --idle-timeout 1 drops a silent client and tells the room", async () => {
  const { server, port } = await startRoomServer(["--idle-timeout", "1"]);
  await using _server = server;
  await using quiet = await RawClient.join(port, "quiet");
  await quiet.send("only line");
  await server.stdout.waitForLine("<quiet> only line");
  assertEquals(
    await quiet.waitForLineStarting("*** Disconnected:"),
    "*** Disconnected: silent for more than 1 second",
  );
  await quiet.waitForEnd();
  await server.stdout.waitForLine(
    "*** quiet left (silent for more than 1 second)",
  );

  // The server goes on: someone new joins (and, silent, is dropped in turn).
  await using later = await RawClient.join(port, "later");
  await server.writeLines("/who");
  await server.stdout.waitForLine("*** In the room (2): host, later");
  await later.waitForLine("*** Disconnected: silent for more than 1 second");
});

Deno.test("room closes a stalled reader's connection on its side, not just forgets it", async () => {
  const { server, port, pid } = await startRoomServer([
    "--max-queue-bytes",
    "65536",
    "--rate-limit",
    "off",
  ]);
  await using _server = server;
  const baseline = await openFiles(pid);
  await using stalled = await RawClient.connect(port, { read: false });
  await stalled.send("stalled");
  await using sender = await RawClient.join(port, "sender");
  assertOk(sender.lines.some((line) => line.includes("host, stalled, sender")));

  const payload = "z".repeat(900);
  let dropped = false;
  for (let sent = 0; !dropped; sent += 100) {
    assertOk(sent < 40_000, "the stalled client was never dropped");
    await sender.send(...numberedLines(payload, 100), "/who");
    await sender.waitForMatch(/^\*\*\* In the room/);
    dropped = sender.lines.includes(
      "*** stalled left (not reading messages fast enough)",
    );
    sender.lines.length = 0;
  }

  // The stalled client now reads: it gets what the kernel buffered, then the
  // end of the stream (or a reset), so the server really closed its socket.
  const buffer = new Uint8Array(64 * 1024);
  const deadline = Date.now() + WAIT_MS;
  let received = 0;
  while (true) {
    assertOk(Date.now() < deadline, "the stalled connection was never closed");
    const count = await stalled.conn.read(buffer).catch(() => null);
    if (count === null) break;
    received += count;
  }
  assertOk(received > 0);
  await eventually(
    "the server's open files to drop back",
    async () => (await openFiles(pid)) <= baseline + 1,
  );
  await assertRoomServes(port, sender, "sender");
});
