import { assertEquals, assertOk } from "./support/assert.ts";
import { RawClient } from "./support/raw_client.ts";
import { RunningProcess, runScript, startServer } from "./support/process.ts";
import { testNeeding } from "./support/requires.ts";
import { NEEDS_NC } from "./support/programs.ts";

/** Starts `server.ts --room` with a generous flood guard for scripted clients. */
function startRoom(args: string[] = []) {
  return startServer(["--room", "--rate-limit", "1000,1000", ...args]);
}

testNeeding(
  NEEDS_NC,
  "room relays every line, attributed, to a raw client, nc and client.ts",
  async () => {
    const { server, port } = await startRoom();
    await using _server = server;
    await using alice = await RawClient.join(port, "alice");
    await using nc = new RunningProcess("nc", ["127.0.0.1", String(port)]);
    await nc.writeLines("carol");
    await nc.stdout.waitForContaining("*** Hello carol!");
    await using bob = runScript("client.ts", [
      "--port",
      String(port),
      "--mode",
      "chat",
      "--name",
      "bob",
    ]);
    await bob.stdout.waitForContaining("*** Hello bob!");

    await alice.send("hello from alice é 漢字 😀");
    await bob.stdout.waitForContaining("<alice> hello from alice é 漢字 😀");
    await nc.stdout.waitForContaining("<alice> hello from alice é 漢字 😀");
    await server.stdout.waitForContaining("<alice> hello from alice é 漢字 😀");

    await nc.writeLines("hi from nc");
    await bob.writeLines("hi from bob");
    await alice.waitForLineStarting("<carol> hi from nc");
    await alice.waitForLineStarting("<bob> hi from bob");
    await nc.stdout.waitForContaining("<bob> hi from bob");
    await bob.stdout.waitForContaining("<carol> hi from nc");

    // No echo: a sender never receives its own line back.
    assertEquals(alice.lines.filter((line) => line.startsWith("<alice>")), []);
    assertOk(!bob.stdout.lines.some((line) => line.startsWith("<bob>")));
  },
);

Deno.test("room attributes lines by the server, so names cannot be spoofed", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  await using mallory = await RawClient.join(port, "mallory");
  await mallory.send("<alice> give mallory your password", "* alice agrees");
  await alice.waitForLine("<mallory> <alice> give mallory your password");
  await alice.waitForLine("<mallory> * alice agrees");
  assertEquals(alice.lines.filter((line) => line.startsWith("<alice>")), []);

  // Taken (in any case) and invalid names are refused; the client may retry.
  await using other = await RawClient.connect(port);
  await other.send("ALICE");
  await other.waitForLine(
    '*** Error: Name "ALICE" is taken; type another name',
  );
  await other.send("bad name!");
  await other.waitForLineStarting(
    '*** Error: Name "bad name!" may only use letters',
  );
  await other.send("x".repeat(17));
  await other.waitForLineStarting(
    '*** Error: Name "xxxxxxxxxxxxxxxxx" is longer than 16 characters',
  );
  await other.send("host");
  await other.waitForLineStarting('*** Error: Name "host" is taken');
  await other.send("dave");
  await other.waitForLineStarting("*** Hello dave!");
});

Deno.test("room sends /msg only to its target", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  await using bob = await RawClient.join(port, "bob");
  await using carol = await RawClient.join(port, "carol");
  await alice.send("/msg bob secret for bob", "/msg nobody hi", "public after");
  await bob.waitForLine("*alice* secret for bob");
  await alice.waitForLine("-> *bob* secret for bob");
  await alice.waitForLine(
    '*** Error: Nobody called "nobody" is here; type /who',
  );
  // Lines arrive in order, so once carol has the later public line she would
  // already have had the private one.
  await carol.waitForLine("<alice> public after");
  assertOk(!carol.lines.some((line) => line.includes("secret")));
  assertOk(!server.stdout.lines.some((line) => line.includes("secret")));
});

Deno.test("room shows the last messages to someone who joins", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  const lines = Array.from({ length: 25 }, (_, i) => `message ${i + 1}`);
  await alice.send(...lines);
  await server.stdout.waitForLine("<alice> message 25");
  await using bob = await RawClient.join(port, "bob");
  await bob.waitForLine("*** End of last messages.");
  const start = bob.lines.indexOf("*** Last messages:");
  const history = bob.lines.slice(
    start + 1,
    bob.lines.indexOf("*** End of last messages."),
  );
  assertEquals(history, lines.slice(5).map((line) => `<alice> ${line}`));
  await alice.waitForLine("*** bob joined");
});

Deno.test("a refused name is quoted back as typed, accents and all", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using zoe = await RawClient.connect(port);
  await zoe.send("Zoë");
  await zoe.waitForLineStarting('*** Error: Name "Zoë" may only use letters');
});

Deno.test("room commands: /help, /who, /me, /nick, //, unknown, /quit", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  await using bob = await RawClient.join(port, "bob");
  await alice.send("/help");
  await alice.waitForLineStarting("***   /msg NAME TEXT");
  await alice.send("/who");
  await alice.waitForLine("*** In the room (3): host, alice, bob");
  await alice.send("/me waves");
  await bob.waitForLine("* alice waves");
  await alice.send("/nick Alicia");
  await bob.waitForLine("*** alice is now known as Alicia");
  await alice.send("//slashes are fine", "/dance");
  await bob.waitForLine("<Alicia> /slashes are fine");
  await alice.waitForLine('*** Error: Unknown command "/dance"; type /help');
  await alice.send("/quit gone fishing");
  // nc users see that /quit worked before the connection closes.
  await alice.waitForLineStarting("*** Goodbye, Alicia.");
  await bob.waitForLineStarting("*** Alicia left (gone fishing)");
  await alice.waitForEnd();
  await bob.send("/who");
  await bob.waitForLine("*** In the room (2): host, bob");
});

Deno.test("room refuses an oversize line with a reply, and the connection survives", async () => {
  const { server, port } = await startRoom(["--max-line-bytes", "100"]);
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  await using bob = await RawClient.join(port, "bob");
  await alice.send("é".repeat(51), "x".repeat(100));
  await alice.waitForLine(
    "*** Error: Your line was 102 bytes; the limit is 100 bytes, so it was not sent",
  );
  await bob.waitForLine(`<alice> ${"x".repeat(100)}`);
  assertOk(!bob.lines.some((line) => line.includes("é")));
});

Deno.test("room operator sees the traffic and posts from the server's stdin", async () => {
  const { server, port } = await startRoom(["--name", "teacher"]);
  await using _server = server;
  await using alice = await RawClient.join(port, "alice");
  await server.stdout.waitForLine("*** alice joined");
  await server.writeLines("Welcome, class");
  await alice.waitForLine("<teacher> Welcome, class");
  await alice.send("thank you");
  await server.stdout.waitForLine("<alice> thank you");
});

Deno.test("room drops a client that never reads, and everyone else gets every line", async () => {
  const { server, port } = await startRoom([
    "--max-queue-bytes",
    "65536",
    "--rate-limit",
    "off",
  ]);
  await using _server = server;
  await using stalled = await RawClient.connect(port, { read: false });
  await stalled.send("stalled");
  await using sender = await RawClient.join(port, "sender");
  await using reader = await RawClient.join(port, "reader");
  await sender.waitForLine("*** reader joined");

  // Send until the room gives up on the stalled client (the kernel's socket
  // buffers absorb an unknown amount first), with a hard cap on the count.
  const payload = "y".repeat(900);
  let sent = 0;
  while (!reader.lines.some((line) => line.startsWith("*** stalled left"))) {
    assertOk(sent < 40_000, "the stalled client was never dropped");
    const batch = Array.from(
      { length: 100 },
      (_, i) => `${sent + i} ${payload}`,
    );
    await sender.send(...batch);
    sent += batch.length;
    await reader.waitForLineStarting(`<sender> ${sent - 1} `);
  }
  const line = await reader.waitForLineStarting("*** stalled left");
  assertEquals(line, "*** stalled left (not reading messages fast enough)");
  const received = reader.lines.filter((l) => l.startsWith("<sender> ")).map((
    l,
  ) => Number(l.split(" ")[1]));
  assertEquals(received, Array.from({ length: sent }, (_, i) => i));
});
