// .ci/watchdog.ts: a hung test fails the run, named, instead of hanging CI.

import { assertEquals, assertOk } from "./support/assert.ts";
import { needProgram, testNeeding } from "./support/requires.ts";
import { onlySlowTestNotices, TestProgress } from "../.ci/watchdog.ts";
import { runToExit } from "./support/process.ts";

testNeeding(
  needProgram("setsid", "util-linux"),
  "watchdog kills a run that hangs and names the hung test",
  async () => {
    const outcome = await runToExit(Deno.execPath(), [
      "run",
      "--allow-run=setsid,kill",
      ".ci/watchdog.ts",
      "--idle",
      "3",
      "--",
      Deno.execPath(),
      "test",
      "--allow-net=127.0.0.1",
      "tests/fixtures/hangs.ts",
    ]);
    assertEquals(outcome.status.code, 124);
    assertEquals(
      outcome.stdout.at(-1),
      'watchdog: no output for 3 s; hung test: "a test whose peer never answers hangs" in ./tests/fixtures/hangs.ts',
    );
    assertOk(
      outcome.stdout.some((line) =>
        line.startsWith("a quick test passes ... ok")
      ),
    );
    assertOk(!outcome.stdout.some((line) => line.includes("after it")));
  },
);

testNeeding(
  needProgram("setsid", "util-linux"),
  "watchdog passes a run's exit code through",
  async () => {
    const outcome = await runToExit(Deno.execPath(), [
      "run",
      "--allow-run=setsid,kill",
      ".ci/watchdog.ts",
      "--",
      "sh",
      "-c",
      "echo done; exit 3",
    ]);
    assertEquals(outcome.stdout, ["done"]);
    assertEquals(outcome.status.code, 3);
  },
);

Deno.test("TestProgress follows Deno's output to the test that is running", () => {
  const progress = new TestProgress();
  assertEquals(progress.describe(), "no test was running (between tests)");
  progress.push("running 3 tests from ./tests/a_test.ts\none ... ok (1ms)\n");
  progress.push("two ...");
  assertEquals(progress.describe(), '"two" in ./tests/a_test.ts');
  progress.push("\n  a step ... ok (1ms)\n");
  assertEquals(progress.describe(), '"two" in ./tests/a_test.ts');
  progress.push("------- output -------\nhello ... world\n");
  progress.push("----- output end -----\ntwo ... FAILED (3ms)\n");
  assertEquals(progress.describe(), "no test was running (between tests)");
  progress.push("\x1b[0mthree ... ");
  assertEquals(progress.describe(), '"three" in ./tests/a_test.ts');
});

Deno.test("watchdog does not take Deno's slow-test notices for progress", () => {
  assertOk(
    onlySlowTestNotices(
      "'a test whose peer never answers hangs' has been running for over (1m0s)\n",
    ),
  );
  assertOk(
    onlySlowTestNotices(
      "\x1b[0m'x' has been running for over (2m0s)\n'x' has been running for over (4m0s)\n",
    ),
  );
  assertEquals(onlySlowTestNotices("next test ... "), false);
  assertEquals(
    onlySlowTestNotices("'x' has been running for over (1m0s)\nok\n"),
    false,
  );
});
