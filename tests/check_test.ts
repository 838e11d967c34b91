/**
 * `deno task check`, the report card, run as a teacher runs it: against
 * chatlab's own programs (which pass), the lesson's Python programs (which
 * get exactly the failures they deserve) and deliberately broken servers in
 * tests/peers/ (each caught by exactly its check, with its hint).
 */

import { assertEquals, assertMatch, assertOk } from "./support/assert.ts";
import { needProgram, testNeeding } from "./support/requires.ts";
import { runToExit, startServer } from "./support/process.ts";

import { ROOT } from "./support/paths.ts";

interface Report {
  ok: boolean;
  checks: { id: string; status: string; hint?: string; got: string }[];
}

/** Runs `deno task check ARGS --json` and returns the parsed report and exit code. */
/** A whole checker run takes seconds; this bounds a hung one. */
const RUN_LIMIT_MS = 240_000;

/** Runs `deno task check ARGS --json` and returns the parsed report and exit code. */
async function check(
  ...args: string[]
): Promise<{ report: Report; code: number }> {
  const { status, stdoutText, stderrText } = await runToExit(
    Deno.execPath(),
    ["task", "--quiet", "check", ...args, "--json"],
    { timeoutMs: RUN_LIMIT_MS },
  );
  try {
    return { report: JSON.parse(stdoutText), code: status.code };
  } catch (error) {
    throw new Error(
      `not JSON: ${stdoutText}\n${stderrText}`,
      { cause: error },
    );
  }
}

/** The failures of a report, with what came back, to show when a test fails. */
function failures(report: Report): string {
  return report.checks.filter((c) => c.status === "fail")
    .map((c) => `${c.id}: ${c.got}`).join("\n");
}

function ids(report: Report, status: string): string[] {
  return report.checks.filter((c) => c.status === status).map((c) => c.id);
}

function hintOf(report: Report, id: string): string {
  return report.checks.find((c) => c.id === id)!.hint ?? "";
}

Deno.test("check: chatlab's take-turns server passes every check", async () => {
  const { report, code } = await check(
    "--server-cmd",
    "deno run --allow-net server.ts --port {port}",
  );
  assertEquals(ids(report, "fail"), [], failures(report));
  assertEquals(ids(report, "not applicable"), []);
  assertEquals(report.checks.length, 12);
  assertEquals(code, 0);
});

Deno.test("check: chatlab's take-turns client passes every applicable check", async () => {
  const { report, code } = await check(
    "--client-cmd",
    "deno run --allow-net client.ts --host {host} --port {port}",
  );
  assertEquals(ids(report, "fail"), [], failures(report));
  assertEquals(ids(report, "not applicable"), ["restart", "bind-address"]);
  assertEquals(code, 0);
});

Deno.test("check: chatlab's room passes every room check", async () => {
  const { report, code } = await check(
    "--mode",
    "room",
    "--server-cmd",
    "deno run --allow-net --allow-env=CHATLAB_PASSWORD server.ts --room --port 0",
  );
  assertEquals(ids(report, "fail"), [], failures(report));
  assertEquals(report.checks.length, 13);
  assertEquals(code, 0);
});

/** What the lesson's programs get wrong, as the lesson writes them. */
const LESSON_FAILURES = [
  "split-read",
  "merged-read",
  "split-utf8",
  "invalid-utf8",
  "over-1024",
  "other-side-closes",
];

testNeeding(
  needProgram("python3", "python3"),
  "check: the lesson's server fails exactly where recv(1024) is not a message",
  async () => {
    const { report, code } = await check(
      "--server-cmd",
      "python3 tests/peers/lesson_server.py 127.0.0.1 {port}",
    );
    assertEquals(ids(report, "fail"), LESSON_FAILURES);
    assertEquals(code, 1);
    assertMatch(
      hintOf(report, "split-read"),
      /^One recv\(\) is not one message/,
    );
    assertMatch(
      hintOf(report, "merged-read"),
      /^Split what recv\(\) returns at each/,
    );
    assertMatch(hintOf(report, "split-utf8"), /UnicodeDecodeError/);
    assertMatch(
      hintOf(report, "over-1024"),
      /recv\(1024\) returns at most 1024 bytes/,
    );
    assertMatch(
      hintOf(report, "other-side-closes"),
      /recv\(\) returns b'' when the other side closes/,
    );
    const closing = report.checks.find((c) => c.id === "other-side-closes")!;
    assertMatch(closing.got, /Received: .*BrokenPipeError|crashed/);
  },
);

testNeeding(
  needProgram("python3", "python3"),
  "check: the lesson's client fails the same checks as its server",
  async () => {
    const { report } = await check(
      "--client-cmd",
      "python3 tests/peers/lesson_client.py {host} {port}",
    );
    assertEquals(ids(report, "fail"), LESSON_FAILURES);
    assertEquals(ids(report, "not applicable"), ["restart", "bind-address"]);
  },
);

testNeeding(
  needProgram("python3", "python3"),
  "check: a correct Python room server passes every room check",
  async () => {
    const { report } = await check(
      "--mode",
      "room",
      "--server-cmd",
      "python3 tests/peers/room_base.py 127.0.0.1 {port}",
    );
    assertEquals(ids(report, "fail"), [], failures(report));
  },
);

const BROKEN_ROOMS: [string, string, RegExp][] = [
  ["echo_room_server.py", "no-echo", /skip the connection the line came from/],
  [
    "prefix_room_server.py",
    "spoofing",
    /Always put the server's <name> in front/,
  ],
  [
    "truncating_room_server.py",
    "oversize-line",
    /over 1024, answer the sender/,
  ],
  ["utf8_crash_room_server.py", "invalid-utf8", /errors="replace"/],
  [
    "blocking_room_server.py",
    "stalled-reader",
    /^Never block on one client's send/,
  ],
];

for (const [program, failure, hint] of BROKEN_ROOMS) {
  testNeeding(
    needProgram("python3", "python3"),
    `check: ${program} fails exactly ${failure}, with its hint`,
    async () => {
      const { report, code } = await check(
        "--mode",
        "room",
        "--server-cmd",
        `python3 tests/peers/${program} 127.0.0.1 {port}`,
      );
      assertEquals(ids(report, "fail"), [failure]);
      assertMatch(hintOf(report, failure), hint);
      assertEquals(code, 1);
    },
  );
}

Deno.test("check: a command line mistake is one line and exit code 2", async () => {
  const { status, stderrText } = await runToExit(Deno.execPath(), [
    "task",
    "--quiet",
    "check",
    "--mode",
    "room",
  ]);
  assertEquals(status.code, 2);
  assertEquals(
    stderrText,
    "error: Give exactly one of --server HOST:PORT, --server-cmd COMMAND or --client-cmd COMMAND (see --help)\n",
  );
});

Deno.test("check: a program that hangs fails within the time limit, is ended, and the run goes on", async () => {
  const marker = uniqueSleep();
  const { report } = await check(
    "--server-cmd",
    marker,
    "--port",
    "1",
    "--only",
    "connect,prints-received",
    "--time-limit",
    "1",
  );
  assertEquals(ids(report, "fail"), ["connect", "prints-received"]);
  assertOk(report.checks.every((c) => /time limit of 1 s/.test(c.got)));
  assertEquals(await processesStartingWith(marker), []);
});

/** A `sleep` command line that no other process has, to look for afterwards. */
function uniqueSleep(): string {
  return `sleep ${30 + Math.floor(Math.random() * 1000)}.5`;
}

/** Command lines of running processes that start with `prefix`. */
async function processesStartingWith(prefix: string): Promise<string[]> {
  const ps = await runToExit("ps", ["-eo", "args"]);
  return ps.stdout.filter((line) => line.startsWith(prefix));
}

/** Runs a shell command in the repository; its trimmed stdout. */
async function shell(command: string): Promise<string> {
  const { status, stdoutText } = await runToExit("sh", ["-c", command]);
  assertEquals(status.code, 0, command);
  return stdoutText.trim();
}

/** The sample report card in README.md's "Checking a student's program". */
function readmeSample(): string[] {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const section = readme.split("## Checking a student's program")[1];
  return section.match(/```text\n([\s\S]*?)```/)![1].trimEnd().split("\n");
}

/**
 * The environment of a teacher's shell. `deno task test` sets INIT_CWD, and
 * a `deno task` inside keeps it rather than setting it to its own folder, so
 * the checker would run the student's program in the wrong place.
 */
const AS_TYPED = {
  clearEnv: true,
  noColor: false,
  env: Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => name !== "INIT_CWD"),
  ),
};

/** The shell blocks of README.md's "Checking a student's program" section. */
function readmeCheckBlocks(): string[] {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const section = readme.split("## Checking a student's program")[1]
    .split("\n## ")[0];
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

testNeeding(
  needProgram("python3", "python3"),
  "check: the README's check commands run as written",
  async () => {
    const [single, loop] = readmeCheckBlocks();
    const lines = single.trim().split("\n");
    assertEquals(lines.length, 3);
    const sample = readmeSample();
    for (const line of lines) {
      const output = await runToExit("sh", ["-c", line], {
        ...AS_TYPED,
        timeoutMs: RUN_LIMIT_MS,
      });
      const text = output.stdoutText;
      assertMatch(text, /^Checking the (server|client) /);
      assertMatch(
        text,
        /\n\d+ passed, \d+ failed, \d+ not applicable \(\d+ checks, [\d.]+ s\)\n$/,
      );
      // The lesson's programs fail some checks; chatlab's room passes all.
      assertEquals(output.status.code, line.includes("lesson_") ? 1 : 0, line);
      if (line.includes("lesson_server.py")) {
        // The card the README shows is the start of the real one.
        assertEquals(text.split("\n").slice(0, sample.length), sample);
        assertMatch(text, /\n6 passed, 6 failed, 0 not applicable \(12 checks/);
      }
    }
    // The loop writes reports/ where it runs: a copy of what it needs, in
    // a directory made by mktemp (the test task grants no --allow-write).
    const dir = await shell("mktemp -d");
    try {
      await shell(
        `cp -r deno.json deno.lock lib '${dir}' && mkdir '${dir}/tests' && cp -r tests/peers '${dir}/tests/'`,
      );
      const output = await runToExit("sh", ["-c", loop], {
        cwd: dir,
        ...AS_TYPED,
        timeoutMs: RUN_LIMIT_MS,
      });
      // The loop's status is its last program's: a broken one, so 1.
      assertEquals(output.status.code, 1);
      const folder = `${dir}/tests/peers/reports`;
      const reports = [...Deno.readDirSync(folder)].map((e) => e.name).sort();
      assertEquals(reports, [
        "blocking_room_server.json",
        "echo_room_server.json",
        "prefix_room_server.json",
        "truncating_room_server.json",
        "utf8_crash_room_server.json",
      ]);
      for (const name of reports) {
        const report = JSON.parse(
          Deno.readTextFileSync(`${folder}/${name}`),
        ) as Report;
        assertEquals(report.ok, false);
        assertEquals(ids(report, "fail").length, 1, name);
      }
    } finally {
      await shell(`rm -rf '${dir}'`);
    }
  },
);

testNeeding(
  needProgram("python3", "python3"),
  "check: a server that spins after the client left fails on its CPU",
  async () => {
    const { report } = await check(
      "--server-cmd",
      "python3 tests/peers/spinning_server.py 127.0.0.1 {port}",
      "--only",
      "other-side-closes",
    );
    assertEquals(ids(report, "fail"), ["other-side-closes"]);
    assertMatch(
      hintOf(report, "other-side-closes"),
      /^After the other side left, your program kept calling recv\(\) and used \d+% CPU: recv\(\) returns empty bytes when the other side closes; stop the loop then\.$/,
    );
    assertMatch(
      report.checks[0].got,
      /^still running, \d+% CPU after the close/,
    );
  },
);

testNeeding(
  needProgram("python3", "python3"),
  "check: a server without SO_REUSEADDR fails the restart check",
  async () => {
    const { report } = await check(
      "--server-cmd",
      "python3 tests/peers/no_reuse_server.py 127.0.0.1 {port}",
      "--only",
      "restart,bind-address",
    );
    assertEquals(ids(report, "fail"), ["restart"]);
    assertMatch(report.checks[0].got, /Address already in use/);
    assertMatch(hintOf(report, "restart"), /SO_REUSEADDR, 1\)/);
  },
);

Deno.test("check: chatlab's server on every network fails bind-address", async () => {
  const { report } = await check(
    "--server-cmd",
    "deno run --allow-net server.ts --port {port} --host 0.0.0.0",
    "--only",
    "bind-address",
  );
  assertEquals(ids(report, "fail"), ["bind-address"]);
  assertMatch(
    report.checks[0].got,
    /^listens on 0\.0\.0\.0; expected 127\.0\.0\.1$/,
  );
});

testNeeding(
  needProgram("python3", "python3"),
  "check: a Python server that frames its messages passes every take-turns check",
  async () => {
    const { report, code } = await check(
      "--server-cmd",
      "python3 tests/peers/turns_base.py 127.0.0.1 {port}",
    );
    assertEquals(ids(report, "fail"), [], failures(report));
    assertEquals(code, 0);
  },
);

testNeeding(
  needProgram("python3", "python3"),
  "check: a server that never reads after the first message fails every check that needs a second read",
  async () => {
    const { report } = await check(
      "--server-cmd",
      "python3 tests/peers/never_reads_server.py 127.0.0.1 {port}",
    );
    // Each of these needs a second message read (the split ones come
    // after a first, \n-terminated round).
    assertEquals(ids(report, "fail"), [
      "takes-turns",
      "split-read",
      "merged-read",
      "split-utf8",
      "over-1024",
      "other-side-closes",
    ]);
    for (
      const id of [
        "takes-turns",
        "split-read",
        "merged-read",
        "split-utf8",
        "over-1024",
      ]
    ) {
      assertMatch(
        hintOf(report, id),
        /^Your program stopped receiving after a message: call recv\(\)/,
      );
    }
  },
);

Deno.test("check: a room already running is checked over the network", async () => {
  const { server, port } = await startServer(["--room"]);
  await using _server = server;
  const { report, code } = await check(
    "--mode",
    "room",
    "--server",
    `127.0.0.1:${port}`,
  );
  assertEquals(ids(report, "fail"), [], failures(report));
  assertEquals(report.checks.length, 13);
  assertEquals(code, 0);
});

Deno.test("check: a take-turns server already running gets only the network check", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  const { report } = await check("--server", `127.0.0.1:${port}`);
  assertEquals(ids(report, "pass"), ["connect"]);
  assertEquals(ids(report, "not applicable").length, 11);
});

testNeeding(
  needProgram("python3", "python3"),
  "check: everything a program started is ended with it",
  async () => {
    const marker = uniqueSleep();
    const { report } = await check(
      "--server-cmd",
      `sh -c "${marker} & python3 tests/peers/lesson_server.py 127.0.0.1 {port}"`,
      "--only",
      "connect,prints-received",
    );
    assertEquals(ids(report, "pass"), ["connect", "prints-received"]);
    assertEquals(await processesStartingWith(marker), []);
  },
);

testNeeding(
  needProgram("python3", "python3"),
  "check: a program that ends at once fails connect with its error, and the rest are not run",
  async () => {
    const { report } = await check(
      "--server-cmd",
      "python3 tests/peers/no_such_program.py {port}",
    );
    const [connect, ...rest] = report.checks;
    assertEquals([connect.id, connect.status], ["connect", "fail"]);
    assertMatch(
      connect.got,
      /^it ended before accepting a connection; it exited with code 2: .*can't open file .*no_such_program\.py/,
    );
    assertEquals(
      connect.hint,
      "Your program ended as soon as it started: run the same command yourself and fix the error it shows.",
    );
    assertOk(rest.every((c) =>
      c.status === "fail" &&
      c.got === "not run: the program could not be reached (see connect)"
    ));
  },
);
