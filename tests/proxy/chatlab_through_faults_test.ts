// chatlab's own programs through the fault proxy: split, merged, delayed,
// jittered, throttled and half-closed streams, in every combination, one way
// or both, in take-turns, chat and room modes. Every line arrives whole and
// attributed; a cut connection is reported in one line (a room client's own
// line, then it reconnects and catches up).

import { assertEquals, assertOk } from "../support/assert.ts";
import { assertNoStackTrace, receivedLines } from "../support/chat.ts";
import { runScript, startServer } from "../support/process.ts";
import { startRoomServer } from "../support/room_server.ts";
import type { FaultPlan, Faults } from "../../lib/proxy/faults.ts";
import { FaultProxy } from "../../lib/proxy/proxy.ts";
import { withTimeout } from "../support/wait.ts";

/** Both directions the same. */
function both(faults: Faults): FaultPlan {
  return { up: { ...faults }, down: { ...faults } };
}

/**
 * One setting of each fault the proxy has but `--cut-after` (its own test
 * below). Pieces stay under take-turns' 250 ms quiet wait (README, "The
 * message format"): a line whose pieces are further apart is not one line
 * there.
 */
const EACH_FAULT: [string, Faults][] = [
  ["split 3", { split: 3 }],
  ["merge 40", { merge: 40 }],
  ["delay 10, jitter 20", { delay: 10, jitter: 20 }],
  ["rate 20000", { rate: 20000 }],
  ["half-close", { halfClose: true }],
];

/**
 * Every combination of those faults (none to all five, 32), the same both
 * ways, and two that differ by direction.
 */
const COMBINATIONS: [string, FaultPlan][] = [
  ...Array.from({ length: 2 ** EACH_FAULT.length }, (_, mask) => {
    const chosen = EACH_FAULT.filter((_, i) => mask & (1 << i));
    const name = chosen.map(([n]) => n).join(", ") || "no fault";
    const faults = Object.assign({}, ...chosen.map(([, f]) => f)) as Faults;
    return [name, both(faults)] as [string, FaultPlan];
  }),
  ["up: split 1, merge 30; down: split 4, jitter 20, rate 50000", {
    up: { split: 1, merge: 30 },
    down: { split: 4, jitter: 20, rate: 50000 },
  }],
  ["up: rate 2000; down: split 2, merge 40", {
    up: { rate: 2000 },
    down: { split: 2, merge: 40 },
  }],
];

/** How many combinations run at once (each starts two or three programs). */
const AT_ONCE = 6;

/** Lines that a broken stream would break: accents, emoji, a long one. */
const CLIENT_SAYS = ["hello there", "héllo wörld 😀 ünïcödé", "x".repeat(150)];
const SERVER_SAYS = ["good morning class", "naïve café ☕", "y".repeat(120)];

/** Starts a proxy to `port` with `plan`. */
function proxyTo(port: number, plan: FaultPlan, seed = 1) {
  return FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: port,
    faults: plan,
    seed,
  });
}

/** Runs `check` for every combination, a few at once, naming each that fails. */
async function forEveryCombination(
  check: (plan: FaultPlan) => Promise<void>,
): Promise<void> {
  const failures: string[] = [];
  for (let i = 0; i < COMBINATIONS.length; i += AT_ONCE) {
    await Promise.all(
      COMBINATIONS.slice(i, i + AT_ONCE).map(async ([name, plan]) => {
        try {
          await check(plan);
        } catch (error) {
          failures.push(`${name}: ${(error as Error).message}`);
        }
      }),
    );
  }
  assertEquals(failures, []);
}

Deno.test("take turns: every message arrives whole through every fault combination", async () => {
  await forEveryCombination(async (plan) => {
    const { server, port } = await startServer(["--mode", "turns"]);
    await using _server = server;
    await using proxy = await proxyTo(port, plan);
    await using client = runScript("client.ts", ["--port", String(proxy.port)]);
    await client.stdout.waitForMatch(/^Connected to /);
    for (const [i, line] of CLIENT_SAYS.entries()) {
      await client.writeLines(line);
      await server.stdout.waitForContaining(`Received: ${line}`);
      await server.writeLines(SERVER_SAYS[i]);
      await client.stdout.waitForContaining(`Received: ${SERVER_SAYS[i]}`);
    }
    await client.closeStdin();
    await server.stdout.waitForContaining(
      "The other side closed the connection.",
    );
    assertEquals(receivedLines(server.stdout.lines), received(CLIENT_SAYS));
    assertEquals(receivedLines(client.stdout.lines), received(SERVER_SAYS));
  });
});

Deno.test("chat: every line arrives whole and in order through every fault combination", async () => {
  await forEveryCombination(async (plan) => {
    const { server, port } = await startServer(["--mode", "chat"]);
    await using _server = server;
    await using proxy = await proxyTo(port, plan);
    await using client = runScript("client.ts", [
      "--port",
      String(proxy.port),
      "--mode",
      "chat",
    ]);
    await client.stdout.waitForMatch(/^Connected to /);
    // Both sides talk at once.
    await Promise.all([
      client.writeLines(...CLIENT_SAYS),
      server.writeLines(...SERVER_SAYS),
    ]);
    await server.stdout.waitForContaining(`Received: ${CLIENT_SAYS.at(-1)}`);
    await client.stdout.waitForContaining(`Received: ${SERVER_SAYS.at(-1)}`);
    assertEquals(receivedLines(server.stdout.lines), received(CLIENT_SAYS));
    assertEquals(receivedLines(client.stdout.lines), received(SERVER_SAYS));
  });
});

Deno.test("room: every line arrives whole and attributed through every fault combination", async () => {
  await forEveryCombination(async (plan) => {
    // A room each: a joiner's catch-up on others' lines would make split 1
    // and a low rate slow.
    const { server, port } = await startRoomServer([
      "--rate-limit",
      "1000,1000",
    ]);
    await using _server = server;
    await using aliceProxy = await proxyTo(port, plan);
    await using bobProxy = await proxyTo(port, plan, 2);
    await using alice = runScript("client.ts", [
      "--port",
      String(aliceProxy.port),
      "--name",
      "alice",
    ]);
    await alice.stdout.waitForContaining("*** Hello alice!");
    await using bob = runScript("client.ts", [
      "--port",
      String(bobProxy.port),
      "--name",
      "bob",
    ]);
    await bob.stdout.waitForContaining("*** Hello bob!");
    await alice.stdout.waitForContaining("*** bob joined");
    await Promise.all([
      alice.writeLines(...CLIENT_SAYS),
      bob.writeLines(...SERVER_SAYS),
    ]);
    await bob.stdout.waitForContaining(`<alice> ${CLIENT_SAYS.at(-1)}`);
    await alice.stdout.waitForContaining(`<bob> ${SERVER_SAYS.at(-1)}`);
    await server.stdout.waitForContaining(`<alice> ${CLIENT_SAYS.at(-1)}`);
    await server.stdout.waitForContaining(`<bob> ${SERVER_SAYS.at(-1)}`);
    assertEquals(saidBy(bob.stdout.lines, "alice"), CLIENT_SAYS);
    assertEquals(saidBy(alice.stdout.lines, "bob"), SERVER_SAYS);
    // The operator saw every line, whole, too.
    assertEquals(saidBy(server.stdout.lines, "alice"), CLIENT_SAYS);
    assertEquals(saidBy(server.stdout.lines, "bob"), SERVER_SAYS);
  });
});

for (const mode of ["turns", "chat"] as const) {
  Deno.test(`${mode}: a connection cut by a reset is reported in one line, without a trace`, async () => {
    const { server, port } = await startServer(["--mode", mode]);
    await using _server = server;
    await using proxy = await proxyTo(port, { up: { cutAfter: 20 }, down: {} });
    await using client = runScript("client.ts", [
      "--port",
      String(proxy.port),
      "--mode",
      mode,
    ]);
    await client.stdout.waitForMatch(/^Connected to /);
    await client.writeLines("first line", "second line is cut here");
    await server.stdout.waitForContaining("Received: first line");
    if (mode === "turns") await server.writeLines("your turn");
    // Both see the cut by themselves: nobody closes their input.
    const status = await withTimeout(client.child.status, "the client's exit");
    await withTimeout(server.child.status, "the server's exit");
    await Promise.all([client.stdout.done, server.stdout.done]);
    for (const side of [client, server]) {
      const after = side.stdout.lines.filter((line) =>
        !line.startsWith("Received: ") && !/^(Connected|Listening)/.test(line)
      );
      assertEquals(after, ["The other side closed the connection."]);
      assertNoStackTrace(side.stderr.text);
    }
    // The cut line never arrives broken.
    assertEquals(receivedLines(server.stdout.lines), ["Received: first line"]);
    assertEquals(status.code, 0);
  });
}

Deno.test("room: a cut connection is one line, then the client reconnects and catches up", async () => {
  const { server, port } = await startRoomServer(["--rate-limit", "1000,1000"]);
  await using _server = server;
  // The first connection is cut after 300 bytes from alice; the next ones
  // are not.
  const plan: FaultPlan = { up: { cutAfter: 300, split: 7 }, down: {} };
  let cut = false;
  await using proxy = await FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: port,
    faults: plan,
    log: (line) => {
      if (!line.includes("cut after")) return;
      cut = true;
      delete plan.up.cutAfter;
    },
  });
  await using bob = runScript("client.ts", [
    "--port",
    String(port),
    "--name",
    "bob",
  ]);
  await bob.stdout.waitForContaining("*** Hello bob!");
  await using alice = runScript("client.ts", [
    "--port",
    String(proxy.port),
    "--name",
    "alice",
  ]);
  await alice.stdout.waitForContaining("*** Hello alice!");
  const said = Array.from(
    { length: 8 },
    (_, i) => `line ${i} ${"z".repeat(60)}`,
  );
  await alice.writeLines(...said);
  await alice.stdout.waitForContaining("*** Connection lost; reconnecting...");
  assertOk(cut, "the proxy cut the connection");
  await bob.writeLines("while alice was away");
  await alice.stdout.waitForMatch(/^\*\*\* Reconnected/);
  await alice.stdout.waitForContaining("<bob> while alice was away");
  await bob.stdout.waitForContaining(`<alice> ${said.at(-1)}`);
  // Every line once, whole, in order; the cut said in one line.
  assertEquals(saidBy(bob.stdout.lines, "alice"), said);
  assertEquals(
    alice.stdout.lines.filter((line) => line.includes("Connection lost")),
    ["*** Connection lost; reconnecting..."],
  );
  assertEquals(
    alice.stdout.lines.filter((line) => line === "<bob> while alice was away")
      .length,
    1,
  );
  assertNoStackTrace(alice.stderr.text);
});

function received(lines: string[]): string[] {
  return lines.map((line) => `Received: ${line}`);
}

/** What `name` said, in order, from lines such as `<alice> hello`. */
function saidBy(lines: string[], name: string): string[] {
  const prefix = `<${name}> `;
  return lines.filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}
