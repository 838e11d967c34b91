// The proxy's command line: faults for both directions or one, in a
// documented syntax, and mistakes refused in one line before anything runs.

import { assertEquals, assertThrows } from "../support/assert.ts";
import { UsageError } from "../../lib/cli/errors.ts";
import { parseProxyOptions } from "../../lib/proxy/options.ts";
import { runToExit } from "../support/process.ts";

function assertUsageError(args: string[], message: string): void {
  assertThrows(() => parseProxyOptions(args), (error: unknown) => {
    assertEquals(
      error instanceof UsageError,
      true,
      `not a UsageError: ${error}`,
    );
    assertEquals((error as Error).message, message);
    return true;
  });
}

Deno.test("parseProxyOptions reads --listen and --to, with 127.0.0.1 unless told", () => {
  const options = parseProxyOptions([
    "--listen",
    "5555",
    "--to",
    "10.1.2.3:6000",
  ]);
  assertEquals(
    [options.listenHost, options.listenPort, options.toHost, options.toPort],
    ["127.0.0.1", 5555, "10.1.2.3", 6000],
  );
  assertEquals(options.faults, { up: {}, down: {} });
  const v6 = parseProxyOptions(["--listen", "[::1]:0", "--to", "[::1]:7"]);
  assertEquals([v6.listenHost, v6.listenPort, v6.toHost], ["::1", 0, "::1"]);
});

Deno.test("parseProxyOptions sets a fault both ways, or one way with up: and down:", () => {
  const options = parseProxyOptions([
    "--listen=0",
    "--to=127.0.0.1:1",
    "--split",
    "3",
    "--merge",
    "down:200",
    "--delay",
    "up:50",
    "--jitter",
    "20",
    "--rate",
    "down:1000",
    "--cut-after",
    "up:100",
    "--split",
    "down:5",
    "--half-close",
    "--seed",
    "42",
    "--wire=hex",
  ]);
  assertEquals(options.faults, {
    up: { split: 3, delay: 50, jitter: 20, cutAfter: 100, halfClose: true },
    down: { split: 5, merge: 200, jitter: 20, rate: 1000, halfClose: true },
  });
  assertEquals([options.seed, options.wire], [42, { hex: true }]);
  const oneWay = parseProxyOptions([
    "--listen=0",
    "--to=h:1",
    "--half-close",
    "up",
  ]);
  assertEquals(oneWay.faults, { up: { halfClose: true }, down: {} });
});

Deno.test("parseProxyOptions refuses mistakes, quoting them", () => {
  assertUsageError(
    ["--to", "h:1"],
    "Give --listen PORT, where clients connect (see --help)",
  );
  assertUsageError(
    ["--listen", "1"],
    "Give --to HOST:PORT, the server to forward to (see --help)",
  );
  assertUsageError(
    ["--listen", "1", "--to", "6000"],
    'Invalid --to "6000": give HOST:PORT, such as 127.0.0.1:5555',
  );
  assertUsageError(
    ["--listen", "1", "--to", "h:1", "--split", "0"],
    'Invalid --split "0": use a whole number, 1 or more',
  );
  assertUsageError(
    ["--listen", "1", "--to", "h:1", "--merge", "sideways:3"],
    'Invalid --merge "sideways:3": the direction is up (client → server) or down (server → client)',
  );
  assertUsageError(
    ["--listen", "1", "--to", "h:1", "--rate", "fast"],
    'Invalid --rate "fast": use a whole number, 1 or more',
  );
  assertUsageError(
    ["--listen", "1", "--to", "h:1", "--drop", "3"],
    'Unknown option "--drop" (see --help)',
  );
  assertUsageError(
    ["--listen", "70000", "--to", "h:1"],
    'Invalid port "70000": use a whole number from 0 to 65535',
  );
});

Deno.test("deno task proxy: a mistake is one line and exit code 2; a busy port is one line and 1", async () => {
  const mistake = await runToExit(Deno.execPath(), [
    "task",
    "-q",
    "proxy",
    "--to",
    "127.0.0.1:1",
  ]);
  assertEquals(mistake.status.code, 2);
  assertEquals(mistake.stderr, [
    "error: Give --listen PORT, where clients connect (see --help)",
  ]);
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = await runToExit(Deno.execPath(), [
    "task",
    "-q",
    "proxy",
    "--listen",
    String(busy.addr.port),
    "--to",
    "127.0.0.1:1",
  ]);
  assertEquals(taken.status.code, 1);
  assertEquals(taken.stderr, [
    `error: Port ${busy.addr.port} on 127.0.0.1 is already in use: stop the other program or choose another --port`,
  ]);
});
