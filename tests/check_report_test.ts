/**
 * The checker's pieces that need no program: its command line, the report
 * card's lines, and the runner's time limit and clean-up.
 */

import { assertEquals, assertThrows } from "./support/assert.ts";
import { UsageError } from "../lib/cli/errors.ts";
import { parseCheckOptions } from "../lib/check/options.ts";
import { formatResult, summaryLine, toJson } from "../lib/check/report.ts";
import { runChecks } from "../lib/check/runner.ts";
import { failed, passed, SetupFailure } from "../lib/check/check.ts";

Deno.test("parseCheckOptions reads a started server with its defaults", () => {
  const options = parseCheckOptions(["--server-cmd", "python3 s.py {port}"]);
  assertEquals(options.role, "server");
  assertEquals(options.mode, "turns");
  assertEquals(options.command, "python3 s.py {port}");
  assertEquals(options.host, "127.0.0.1");
  assertEquals(options.waitSeconds, 2);
  assertEquals(options.timeLimitSeconds, 10);
});

Deno.test("parseCheckOptions reads HOST:PORT, with brackets for IPv6", () => {
  assertEquals(parseCheckOptions(["--server", "127.0.0.1:5555"]).address, {
    host: "127.0.0.1",
    port: 5555,
  });
  assertEquals(parseCheckOptions(["--server", "[::1]:6000"]).address, {
    host: "::1",
    port: 6000,
  });
});

Deno.test("parseCheckOptions refuses mistakes in one line each", () => {
  assertThrows(
    () => parseCheckOptions(["--server", "localhost"]),
    UsageError,
    'Invalid --server "localhost": use HOST:PORT, such as 127.0.0.1:5555',
  );
  assertThrows(
    () => parseCheckOptions(["--client-cmd", "x", "--mode", "room"]),
    UsageError,
    "--mode room checks servers only: use --server or --server-cmd",
  );
  assertThrows(
    () => parseCheckOptions(["--server-cmd", "x", "--wait", "0"]),
    UsageError,
    'Invalid --wait "0": use a number of seconds from 0.1 to 600',
  );
  assertThrows(
    () => parseCheckOptions(["--srever", "x"]),
    UsageError,
    'Unknown option "--srever" (see --help)',
  );
});

Deno.test("formatResult shows a failure with what was sent, got, why and hint", () => {
  const line = formatResult({
    id: "split-read",
    title: "one message that arrives in two reads",
    status: "fail",
    sent: '"one " then "message\\n"',
    got: 'printed "Received: one "',
    why: "TCP is a stream.",
    hint: "Read until \\n.",
    ms: 12,
  }, false);
  assertEquals(
    line,
    [
      "FAIL  split-read         one message that arrives in two reads",
      '      sent: "one " then "message\\n"',
      '      got:  printed "Received: one "',
      "      why:  TCP is a stream.",
      "      hint: Read until \\n.",
    ].join("\n"),
  );
});

Deno.test("formatResult gives a pass one line and a not-applicable its reason", () => {
  const base = {
    id: "restart",
    title: "starts again",
    sent: "",
    why: "",
    ms: 0,
  };
  assertEquals(
    formatResult({ ...base, status: "pass", got: "ok" }, false),
    "PASS  restart            starts again",
  );
  assertEquals(
    formatResult(
      { ...base, status: "not applicable", got: "only for a server" },
      false,
    ),
    "N/A   restart            starts again (only for a server)",
  );
  assertEquals(
    formatResult(
      { ...base, status: "pass", sent: "a", got: "ok" },
      false,
      true,
    ),
    "PASS  restart            starts again\n      sent: a\n      got:  ok",
  );
});

Deno.test("runChecks gives each check its time limit and closes what it opened", async () => {
  const closed: string[] = [];
  const results = await runChecks(
    [
      {
        id: "hangs",
        title: "hangs",
        why: "",
        hint: "do not hang",
        run: (_context, stack) => {
          stack.defer(() => void closed.push("hangs"));
          return new Promise(() => {});
        },
      },
      {
        id: "passes",
        title: "passes",
        why: "",
        hint: "",
        run: (_context, stack) => {
          stack.defer(() => void closed.push("passes"));
          return Promise.resolve(passed("sent", "got"));
        },
      },
      {
        id: "fails",
        title: "fails",
        why: "",
        hint: "the usual hint",
        run: () => Promise.resolve(failed("sent", "got")),
      },
      {
        id: "skipped",
        title: "skipped",
        why: "",
        hint: "",
        notApplicable: () => "not for this program",
        run: () => Promise.reject(new Error("must not run")),
      },
    ],
    {},
    { timeLimitMs: 50 },
  );
  assertEquals(results.map((r) => r.status), [
    "fail",
    "pass",
    "fail",
    "not applicable",
  ]);
  assertEquals(
    results[0].got,
    "no result within the time limit of 0.05 s (the program hung)",
  );
  assertEquals(results[0].hint, "do not hang");
  assertEquals(results[2].hint, "the usual hint");
  assertEquals(closed, ["hangs", "passes"]);
  assertEquals(
    summaryLine({ passed: 1, failed: 2, notApplicable: 1 }),
    "1 passed, 2 failed, 1 not applicable",
  );
  const json = JSON.parse(
    toJson({ role: "server", mode: "turns", program: "x" }, results),
  );
  assertEquals(json.ok, false);
  assertEquals(json.summary, { passed: 1, failed: 2, notApplicable: 1 });
});

Deno.test("runChecks fails the rest at once when the first check cannot reach the program", async () => {
  let runs = 0;
  const unreachable = {
    id: "connect",
    title: "connects",
    why: "",
    hint: "",
    run: () => {
      runs++;
      return Promise.reject(
        new SetupFailure(
          "could not connect",
          "started it",
          "Listen on {port}.",
        ),
      );
    },
  };
  const later = {
    id: "later",
    title: "later",
    why: "",
    hint: "",
    run: () => {
      runs++;
      return Promise.resolve(passed("", ""));
    },
  };
  const skipped = { ...later, id: "skipped", notApplicable: () => "not here" };
  const results = await runChecks([unreachable, later, skipped], {});
  assertEquals(runs, 1);
  assertEquals(results.map((r) => [r.id, r.status, r.got, r.hint]), [
    ["connect", "fail", "could not connect", "Listen on {port}."],
    [
      "later",
      "fail",
      "not run: the program could not be reached (see connect)",
      "Listen on {port}.",
    ],
    ["skipped", "not applicable", "not here", undefined],
  ]);
});

Deno.test("parseCheckOptions wants a port for a client it must listen for", () => {
  assertThrows(
    () => parseCheckOptions(["--client-cmd", "python3 client.py"]),
    UsageError,
    "The checker listens for the client: write {port} in --client-cmd where the client takes its port, or give the client's fixed port with --port",
  );
  assertEquals(
    parseCheckOptions(["--client-cmd", "python3 client.py", "--port", "5555"])
      .port,
    5555,
  );
});
