// Faults a classroom network produces, injected over real sockets: peers that
// die, reset, half-close, say nothing, send junk or far too much, or arrive a
// thousand at once; and the server itself stopping. In each, the server stays
// up with bounded memory, and every healthy client gets every message in order.

import { assertEquals, assertMatch, assertOk } from "./support/assert.ts";
import { assertNoStackTrace } from "./support/chat.ts";
import { Puppet, startCrowd } from "./support/hostile_peers.ts";
import { RunningProcess, runScript } from "./support/process.ts";
import { Random, testSeed } from "./support/random.ts";
import { RawClient } from "./support/raw_client.ts";
import {
  assertRoomServes,
  assertSaidInOrder,
  numberedLines,
  openFiles,
  residentKiB,
  startRoomServer,
} from "./support/room_server.ts";
import { testNeeding } from "./support/requires.ts";
import { NEEDS_OPENSSL, NEEDS_PYTHON3 } from "./support/programs.ts";
import { eventually } from "./support/wait.ts";

/** A control character that a terminal would obey (TAB is harmless). */
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

/** Growth of the server's resident memory that would mean a leak: generous. */
const MAX_GROWTH_KIB = 200 * 1024;

/**
 * Starts a room whose flood guard lets scripted clients talk at full speed
 * (the flood guard has its own tests); every other limit has its default.
 */
function startRoom(args: string[] = []) {
  return startRoomServer(["--rate-limit", "1000,1000", ...args]);
}

/** Two healthy clients who check, at the end, that they heard each other. */
class HealthyPair implements AsyncDisposable {
  readonly alice: RawClient;
  readonly bob: RawClient;
  #said = 0;

  private constructor(alice: RawClient, bob: RawClient) {
    this.alice = alice;
    this.bob = bob;
  }

  /** Joins `alice` and `bob`. */
  static async join(port: number): Promise<HealthyPair> {
    const alice = await RawClient.join(port, "alice");
    const bob = await RawClient.join(port, "bob");
    await alice.waitForLine("*** bob joined");
    return new HealthyPair(alice, bob);
  }

  /** Alice says `count` more numbered lines. */
  async talk(count = 20): Promise<void> {
    const lines = numberedLines("line", this.#said + count).slice(this.#said);
    this.#said += count;
    await this.alice.send(...lines);
  }

  /** Bob has every line alice said, in order, and nothing else of hers. */
  async assertAllHeard(): Promise<void> {
    await this.bob.waitForLine(`<alice> line ${this.#said - 1}`);
    assertSaidInOrder(
      this.bob.lines,
      "alice",
      numberedLines("line", this.#said),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.alice.close();
    await this.bob.close();
  }
}

testNeeding(
  NEEDS_PYTHON3,
  "room survives a client killed mid-line, and relays what it had sent",
  async () => {
    const { server, port } = await startRoom();
    await using _server = server;
    await using pair = await HealthyPair.join(port);
    await pair.talk();
    await pair.bob.waitForLineStarting("<alice> line 19");
    await using victim = await Puppet.connect(port);
    await victim.send("victim");
    await victim.waitForLineStarting("*** End of last messages.");
    await victim.send("a whole line");
    await victim.sendRaw("half a li");
    // Nothing is on its way to the victim now, so its kernel ends the stream
    // normally (with unread bytes it would send a reset instead).
    victim.process.child.kill("SIGKILL");
    await victim.process.child.status;

    // Its kernel closed the socket: the unfinished line ends with the stream.
    await pair.bob.waitForLineStarting("*** victim left");
    assertSaidInOrder(pair.bob.lines, "victim", ["a whole line", "half a li"]);
    await pair.talk();
    await pair.assertAllHeard();
    await assertRoomServes(port, pair.alice, "alice");
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "room survives a reset (RST) and tells the room the connection was lost",
  async () => {
    const { server, port } = await startRoom();
    await using _server = server;
    await using pair = await HealthyPair.join(port);
    await using resetter = await Puppet.connect(port);
    await resetter.send("resetter");
    await resetter.waitForLineStarting("*** Hello resetter!");
    await resetter.send("before the reset");
    await pair.talk();
    await resetter.reset();

    assertEquals(
      await pair.bob.waitForLineStarting("*** resetter left"),
      "*** resetter left (connection lost)",
    );
    assertSaidInOrder(pair.bob.lines, "resetter", ["before the reset"]);
    await pair.talk();
    await pair.assertAllHeard();
    await assertRoomServes(port, pair.alice, "alice");
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "room tells everyone when a client vanishes before the answer to its last lines",
  async () => {
    const { server, port } = await startRoom();
    await using _server = server;
    await using pair = await HealthyPair.join(port);
    await using ghost = await Puppet.connect(port);
    await ghost.send("ghost");
    await ghost.waitForLineStarting("*** Hello ghost!");

    // With the server paused, the ghost asks for /who, says more than one read
    // takes, and resets. Its kernel keeps the lines readable, so the server
    // reads them first and then fails to write the answer: the write, not the
    // read, is what finds the client gone.
    server.child.kill("SIGSTOP");
    try {
      await ghost.send("/who", ...numberedLines(`boo ${"o".repeat(90)}`, 50));
      await ghost.reset();
    } finally {
      server.child.kill("SIGCONT");
    }
    assertEquals(
      await pair.bob.waitForLineStarting("*** ghost left"),
      "*** ghost left (connection lost)",
    );
    // Its name is free again, and the room goes on.
    await using again = await RawClient.join(port, "ghost");
    await pair.talk();
    await pair.assertAllHeard();
    await again.waitForLineStarting(`<alice> line 19`);
  },
);

Deno.test("room takes a half-closed client's last lines, then lets it go cleanly", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using pair = await HealthyPair.join(port);
  await using half = await RawClient.join(port, "half");
  await half.send("last words", "and a postscript");
  await half.conn.closeWrite();

  // The server sees the end of its stream: it leaves, and is closed.
  await half.waitForEnd();
  assertEquals(await pair.bob.waitForLine("*** half left"), "*** half left");
  assertSaidInOrder(pair.bob.lines, "half", ["last words", "and a postscript"]);
  await pair.talk();
  await pair.assertAllHeard();
  await assertRoomServes(port, pair.alice, "alice");
});

Deno.test("room is not held up by peers that connect and send nothing", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  const silent = await Promise.all(
    Array.from({ length: 5 }, () => RawClient.connect(port)),
  );
  try {
    for (const peer of silent) await peer.waitForLineStarting("*** Welcome");
    await using pair = await HealthyPair.join(port);
    await pair.talk(200);
    await pair.assertAllHeard();
    // Without a name they are in no one's way, and hear nothing.
    await server.writeLines("/who");
    await server.stdout.waitForLine("*** In the room (3): host, alice, bob");
    for (const peer of silent) assertEquals(peer.lines.length, 1);
  } finally {
    for (const peer of silent) await peer.close();
  }
});

Deno.test("room turns invalid UTF-8 into U+FFFD for its receivers", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using pair = await HealthyPair.join(port);
  await using raw = await RawClient.join(port, "raw");
  const invalid = [
    ...new TextEncoder().encode("bad "),
    0xff, // never valid in UTF-8
    0xfe,
    0x20,
    0xc3, // a lead byte followed by a non-continuation
    0x28,
    0x20,
    0xed, // an encoded surrogate (U+D800)
    0xa0,
    0x80,
    0x20,
    0x63,
    0x61,
    0x66,
    0xc3, // "café" with its last character cut short
    0x0a,
  ];
  await raw.sendRaw(new Uint8Array(invalid));
  await raw.sendRaw(new Uint8Array([0xc0, 0x80, 0x0a])); // overlong NUL
  await raw.send("after");
  await pair.bob.waitForLine("<raw> after");
  assertSaidInOrder(pair.bob.lines, "raw", [
    "bad \ufffd\ufffd \ufffd( \ufffd\ufffd\ufffd caf\ufffd",
    "\ufffd\ufffd",
    "after",
  ]);
  // An invalid name is refused and quoted back made safe: escapes, not bytes.
  await using nameless = await RawClient.connect(port);
  await nameless.sendRaw(new Uint8Array([0x41, 0xff, 0x1b, 0x5b, 0x0a]));
  await nameless.waitForLineStarting(
    '*** Error: Name "A\ufffd^[[" may only use letters',
  );
  await pair.talk();
  await pair.assertAllHeard();
});

testNeeding(
  NEEDS_OPENSSL,
  "room shrugs off a TLS handshake sent to its plain port (openssl s_client)",
  async () => {
    const { server, port } = await startRoom();
    await using _server = server;
    await using pair = await HealthyPair.join(port);
    await using openssl = new RunningProcess("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "localhost",
    ]);
    await pair.talk();
    const status = await openssl.finish();
    // The room's welcome is no TLS record: openssl gives up, and says why.
    assertOk(!status.success);
    assertMatch(
      openssl.stderr.text,
      /SSL routines|wrong version number|packet length too long|record layer failure/i,
    );
    await pair.talk();
    await pair.assertAllHeard();
    await assertRoomServes(port, pair.alice, "alice");
  },
);

Deno.test("room shrugs off binary junk: a raw ClientHello, then seeded random bytes", async () => {
  const { server, port, pid } = await startRoom();
  await using _server = server;
  await using pair = await HealthyPair.join(port);
  const before = await residentKiB(pid);
  const random = new Random(testSeed());
  await using junk = await RawClient.connect(port);
  // TLS 1.0 record, handshake, ClientHello: what `openssl s_client` begins with.
  await junk.sendRaw(
    new Uint8Array([
      0x16,
      0x03,
      0x01,
      0x00,
      0xa5,
      0x01,
      0x00,
      0x00,
      0xa1,
      0x03,
      0x03,
    ]),
  );
  let sent = 0;
  while (sent < 256 * 1024) {
    const chunk = new Uint8Array(random.int(1, 4096));
    for (let i = 0; i < chunk.length; i++) chunk[i] = random.int(0, 255);
    await junk.sendRaw(chunk);
    sent += chunk.length;
    if (random.chance(0.05)) await pair.talk(5);
  }
  await pair.talk();
  await pair.assertAllHeard();
  // The junk was answered line by line (bad names, lines too long), all safe.
  await junk.conn.closeWrite();
  await junk.waitForEnd();
  assertOk(junk.lines.length > 1);
  for (const line of junk.lines) {
    assertOk(!RAW_CONTROL.test(line), `raw control in ${JSON.stringify(line)}`);
  }
  await assertRoomServes(port, pair.alice, "alice");
  assertOk((await residentKiB(pid)) - before < MAX_GROWTH_KIB);
});

Deno.test("room drops a 1 MB line without a line end after 16 KiB, and keeps serving", async () => {
  const { server, port, pid } = await startRoom();
  await using _server = server;
  await using pair = await HealthyPair.join(port);
  const before = await residentKiB(pid);
  await using big = await RawClient.join(port, "big");
  // The server closes before taking it all, so the write may fail: fine.
  await big.sendRaw("m".repeat(1024 * 1024)).catch(() => {});
  assertEquals(
    await big.waitForLineStarting("*** Disconnected:"),
    "*** Disconnected: sent more than 16384 bytes without a line end",
  );
  await big.waitForEnd();
  assertEquals(
    await pair.bob.waitForLineStarting("*** big left"),
    "*** big left (sent more than 16384 bytes without a line end)",
  );
  assertOk(!pair.bob.lines.some((line) => line.startsWith("<big>")));
  await pair.talk();
  await pair.assertAllHeard();
  await assertRoomServes(port, pair.alice, "alice");
  const after = await residentKiB(pid);
  console.log(`1 MB line: server RSS ${before} KiB before, ${after} KiB after`);
  assertOk(after - before < MAX_GROWTH_KIB);
});

testNeeding(
  NEEDS_PYTHON3,
  "room with default limits answers 1000 connections at once: 100 in, the rest told it is full",
  async () => {
    // The default room: no flags at all.
    const { server, port, pid } = await startRoomServer();
    await using _server = server;
    // 10 lines at a time, well inside the default flood guard's budget.
    await using pair = await HealthyPair.join(port);
    const files = await openFiles(pid);
    const before = await residentKiB(pid);

    // 8 connections from each of 125 addresses (127.0.1.1 and up), so the
    // limit of 10 per address is never reached, but the limit of 100 clients is.
    await using crowd = startCrowd(port, { count: 1000, perAddress: 8 });
    await pair.talk(10);
    const summary = await crowd.summary();
    const welcome = Object.keys(summary.firstLines).find((line) =>
      line.startsWith("*** Welcome")
    );
    assertEquals(summary.firstLines, {
      [welcome!]: 98, // alice and bob hold the other two places
      "*** Disconnected: the server is full (100 people); try again later": 902,
    });
    assertEquals(summary.closed, 902);
    assertEquals(summary.lost, 0);

    // The 100 limit holds for anyone.
    await using late = await RawClient.connect(port);
    assertEquals(
      await late.waitForLineStarting("*** Disconnected:"),
      "*** Disconnected: the server is full (100 people); try again later",
    );
    await pair.talk(10);
    await pair.assertAllHeard();
    const during = await residentKiB(pid);

    await crowd.release();
    await eventually(
      "the crowd's connections to close",
      async () => (await openFiles(pid)) <= files + 1,
    );
    await assertRoomServes(port, pair.alice, "alice");
    console.log(
      `1000 connections: server RSS ${before} KiB before, ${during} KiB with 100 in, ${await residentKiB(
        pid,
      )} KiB after; open files ${files} before, ${await openFiles(pid)} after`,
    );
    assertOk(during - before < MAX_GROWTH_KIB);
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "room answers 1000 connections at once from one address: 10 in, the rest told the limit",
  async () => {
    const { server, port, pid } = await startRoomServer();
    await using _server = server;
    await using pair = await HealthyPair.join(port);
    const before = await residentKiB(pid);
    await using crowd = startCrowd(port, { count: 1000 });
    await pair.talk(10);
    const summary = await crowd.summary();
    const welcome = Object.keys(summary.firstLines).find((line) =>
      line.startsWith("*** Welcome")
    );
    assertEquals(summary.firstLines, {
      [welcome!]: 10,
      "*** Disconnected: too many connections from 127.0.1.1 (the limit is 10)":
        990,
    });
    assertEquals(summary.closed, 990);
    await pair.talk(10);
    await pair.assertAllHeard();
    await crowd.release();
    await assertRoomServes(port, pair.alice, "alice");
    assertOk((await residentKiB(pid)) - before < MAX_GROWTH_KIB);
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "room with raised limits holds 1000 connections at once and still relays every line",
  async () => {
    const { server, port, pid } = await startRoom([
      "--max-clients",
      "2000",
      "--max-per-address",
      "2000",
    ]);
    await using _server = server;
    await using pair = await HealthyPair.join(port);
    const files = await openFiles(pid);
    const before = await residentKiB(pid);
    await using crowd = startCrowd(port, { count: 1000 });
    await pair.talk();
    const summary = await crowd.summary();
    assertEquals(Object.values(summary.firstLines), [1000]);
    assertMatch(Object.keys(summary.firstLines)[0], /^\*\*\* Welcome/);
    assertOk((await openFiles(pid)) >= files + 1000);
    await pair.talk(200);
    await pair.assertAllHeard();
    const during = await residentKiB(pid);
    await crowd.release();
    await eventually(
      "the crowd's connections to close",
      async () => (await openFiles(pid)) <= files,
    );
    await assertRoomServes(port, pair.alice, "alice");
    console.log(
      `1000 connections held: server RSS ${before} KiB before, ${during} KiB during`,
    );
    assertOk(during - before < MAX_GROWTH_KIB);
  },
);

/** `client.ts --name NAME` in the room on `port`. */
function roomClient(port: number, name: string): RunningProcess {
  return runScript("client.ts", ["--port", String(port), "--name", name]);
}

Deno.test("server stopped with Ctrl+C tells the room, and each client.ts says so and exits 1", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using alice = roomClient(port, "alice");
  await alice.stdout.waitForLineStarting("*** Hello alice!");
  await using bob = roomClient(port, "bob");
  await bob.stdout.waitForLineStarting("*** Hello bob!");
  await using raw = await RawClient.join(port, "raw");
  await alice.writeLines("last words before the end");
  await bob.stdout.waitForLine("<alice> last words before the end");

  server.child.kill("SIGINT");
  await server.stdout.waitForLine("*** Shutting down: telling the room.");
  for (const client of [alice, bob]) {
    const status = await client.exited();
    assertEquals(
      client.stdout.lines.at(-1),
      "*** Disconnected: the server is shutting down",
    );
    assertEquals(client.stderr.lines, []);
    assertEquals(status.code, 1);
  }
  await raw.waitForEnd();
  assertEquals(
    raw.lines.at(-1),
    "*** Disconnected: the server is shutting down",
  );
  const status = await server.finish();
  assertEquals(status.code, 0);
  for (const process of [server, alice, bob]) {
    assertNoStackTrace(process.stdout.text);
    assertNoStackTrace(process.stderr.text);
  }
});

Deno.test("server killed outright: client.ts says so, keeps trying, and Ctrl+C ends it with 0", async () => {
  const { server, port } = await startRoom();
  await using _server = server;
  await using alice = roomClient(port, "alice");
  await alice.stdout.waitForLineStarting("*** Hello alice!");
  server.child.kill("SIGKILL");
  await alice.stdout.waitForLine("*** Connection lost; reconnecting...");
  alice.child.kill("SIGINT");
  const status = await alice.exited();
  assertEquals(status.code, 0);
  assertEquals(alice.stderr.lines, []);
  assertNoStackTrace(alice.stdout.text);
});
