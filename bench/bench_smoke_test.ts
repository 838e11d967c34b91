/**
 * The benchmark harness works: its load generator notices every kind of bad
 * line, and a `--quick` run against the Node baseline loses nothing. No
 * speed is asserted anywhere.
 *
 * @module
 */

import { assertEquals, assertOk } from "../tests/support/assert.ts";
import { Spawned } from "./processes.ts";
import type { BenchResults } from "./results.ts";
import { firstMissing, testNeeding } from "../tests/support/requires.ts";
import { NEEDS_NODE, NEEDS_PYTHON3 } from "../tests/support/programs.ts";

const LOOPBACK = "127.0.0.1";
const LINES = 50;
const encoder = new TextEncoder();

/**
 * A room server that gets relaying wrong on purpose. Clients send their name
 * first and get `*** Hello`; each payload line (`#L...`) is relayed with a
 * fault chosen by its position: one dropped, one sent twice, two swapped,
 * one with a changed byte, one under another name.
 */
class FaultyRelay implements AsyncDisposable {
  readonly listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  readonly #conns = new Set<Deno.Conn>();
  readonly #served: Promise<void>;
  readonly #tasks: Promise<void>[] = [];

  constructor() {
    this.#served = this.#accept();
  }

  get port(): number {
    return this.listener.addr.port;
  }

  async #accept(): Promise<void> {
    for await (const conn of this.listener) {
      this.#conns.add(conn);
      this.#tasks.push(this.#serve(conn));
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    let name: string | null = null;
    let payloads = 0;
    let held: string | null = null;
    let partial = "";
    const buffer = new Uint8Array(4096);
    const decoder = new TextDecoder();
    try {
      while (true) {
        const count = await conn.read(buffer);
        if (count === null) break;
        const lines = (partial + decoder.decode(buffer.subarray(0, count)))
          .split("\n");
        partial = lines.pop()!;
        for (const line of lines) {
          if (name === null) {
            name = line;
            await conn.write(encoder.encode(`*** Hello ${name}!\n`));
            continue;
          }
          if (!line.startsWith("#L")) {
            await this.#relay(conn, `<${name}> ${line}\n`);
            continue;
          }
          const index = payloads++;
          const out = `<${name}> ${line}\n`;
          if (index === 5) continue; // lost
          if (index === 7) await this.#relay(conn, out + out); // duplicated
          else if (index === 10) held = out; // reordered: 10 after 11
          else if (index === 11) await this.#relay(conn, out + held);
          else if (index === 20) {
            await this.#relay(conn, out.replace("abc", "abd")); // corrupted
          } else if (index === 30) {
            await this.#relay(conn, `<impostor> ${line}\n`); // misattributed
          } else await this.#relay(conn, out);
        }
      }
    } catch {
      // The generator closed abruptly at the end: fine.
    }
  }

  async #relay(from: Deno.Conn, text: string): Promise<void> {
    for (const conn of this.#conns) {
      if (conn !== from) await conn.write(encoder.encode(text)).catch(() => 0);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.#served.catch(() => {});
    await Promise.all(this.#tasks);
  }
}

Deno.test("load generator counts lost, duplicated, reordered, corrupted and misattributed lines", async () => {
  await using relay = new FaultyRelay();
  await using generator = new Spawned(Deno.execPath(), [
    "run",
    `--allow-net=${LOOPBACK}`,
    "bench/load.js",
    "--target",
    "node",
    "--port",
    String(relay.port),
    "--clients",
    "2",
    "--senders",
    "1",
    "--lines",
    String(LINES),
    "--quiet-ms",
    "500",
  ]);
  const status = await generator.finish(30_000);
  assertEquals(status.code, 0, generator.stderr.text);
  const result = JSON.parse(generator.stdout.lines.at(-1)!);
  assertEquals({
    expected: result.expected,
    delivered: result.delivered,
    lost: result.lost,
    duplicated: result.duplicated,
    reordered: result.reordered,
    corrupted: result.corrupted,
    misattributed: result.misattributed,
    stopped: result.stopped,
  }, {
    expected: LINES,
    // One dropped, one corrupted: neither arrived whole.
    delivered: LINES - 2,
    lost: 2,
    duplicated: 1,
    reordered: 1,
    corrupted: 1,
    misattributed: 1,
    stopped: "quiet",
  });
});

testNeeding(
  // The run times the lesson's Python pair too.
  firstMissing(NEEDS_NODE, NEEDS_PYTHON3),
  "bench --quick against the Node baseline loses nothing",
  async () => {
    await using runner = new Spawned(Deno.execPath(), [
      "run",
      `--allow-net=${LOOPBACK}`,
      "--allow-run",
      "--allow-read",
      "--allow-write=BENCHMARKS.md,bench/results",
      "bench/run.ts",
      "--quick",
      "--targets",
      "node",
      "--json",
    ]);
    const status = await runner.finish(120_000);
    assertEquals(status.code, 0, runner.stderr.text);
    const results: BenchResults = JSON.parse(runner.stdout.lines.at(-1)!);
    assertEquals(results.targets, ["node"]);
    for (const scenario of results.scenarios) {
      const outcomes = results.load[scenario.id]?.node ?? [];
      assertEquals(outcomes.length, 1, `${scenario.id} ran once`);
      const outcome = outcomes[0];
      assertOk(outcome.ok, `${scenario.id}: ${JSON.stringify(outcome)}`);
      const r = outcome.result;
      assertEquals(
        [r.joinFailed, r.lost, r.duplicated, r.reordered, r.corrupted],
        [0, 0, 0, 0, 0],
        `${scenario.id}: nothing lost, duplicated, reordered or corrupted`,
      );
      assertEquals(r.misattributed, 0, `${scenario.id}: every line attributed`);
      if (scenario.lines > 0) {
        assertEquals(r.delivered, r.expected, `${scenario.id}: all delivered`);
        assertOk(r.expected > 0, `${scenario.id}: expected some lines`);
      } else {
        assertEquals(typeof r.rssPerClientBytes, "number");
      }
    }
    const turns = results.turns.lesson ?? [];
    assertEquals(turns.length, 1, "the lesson's pair was timed once");
    assertOk(!("error" in turns[0]), JSON.stringify(turns[0]));
  },
);
