// The README's "Limits and security" table and flood-guard paragraph must
// say what the code does: every default is read from ROOM_DEFAULTS here, so
// changing one without the README (or the README alone) fails this test.

import { assertEquals, assertMatch } from "../support/assert.ts";
import { byteBudget, ROOM_DEFAULTS } from "../../lib/room/defaults.ts";
import { SERVER_HELP } from "../../lib/cli/options.ts";

const README = await Deno.readTextFile(
  new URL("../../README.md", import.meta.url),
);

/** The "default" cell of the limits table's row for `flag`. */
function defaultFor(flag: string): string {
  const row = README.split("\n").find((line) =>
    line.startsWith("|") && line.includes(`\`${flag}`)
  );
  if (!row) throw new Error(`No row for "${flag}" in README.md`);
  return row.split("|")[3].trim();
}

const D = ROOM_DEFAULTS;

Deno.test("README limits table gives the defaults the room uses", () => {
  assertEquals(
    {
      "--max-line-bytes": defaultFor("--max-line-bytes"),
      "--max-unterminated-bytes": defaultFor("--max-unterminated-bytes"),
      "--max-queue-bytes": defaultFor("--max-queue-bytes"),
      "--max-clients": defaultFor("--max-clients"),
      "--max-per-address": defaultFor("--max-per-address"),
      "--rate-limit": defaultFor("--rate-limit"),
      "--name-timeout": defaultFor("--name-timeout"),
      "--idle-timeout": defaultFor("--idle-timeout"),
    },
    {
      "--max-line-bytes": `${D.maxLineBytes} bytes`,
      "--max-unterminated-bytes": `${D.maxUnterminatedBytes} bytes`,
      "--max-queue-bytes": `${D.maxQueuedBytes} bytes`,
      "--max-clients": `${D.maxClients}`,
      "--max-per-address": `${D.maxClientsPerAddress}`,
      "--rate-limit":
        `\`${D.rateLimit.burstLines},${D.rateLimit.linesPerSecond}\``,
      "--name-timeout": `${D.nameTimeoutMs / 1000}`,
      "--idle-timeout": `${D.idleTimeoutMs / 1000} (0: never)`,
    },
  );
});

Deno.test("README states the flood guard's byte budget and the delays the room uses", () => {
  const { burstBytes, bytesPerSecond } = byteBudget(
    D.rateLimit,
    D.maxLineBytes,
  );
  const { burstLines, linesPerSecond } = D.rateLimit;
  const prose = README.replace(/\s+/g, " ");
  assertMatch(
    prose,
    new RegExp(
      `${burstLines} lines and ${
        burstBytes / 1024
      } KiB of text .* refills by ${linesPerSecond} lines and ${
        bytesPerSecond / 1024
      } KiB per second`,
    ),
  );
  assertMatch(
    prose,
    new RegExp(`closed within ${D.closeGraceMs / 1000} seconds`),
  );
  assertMatch(
    prose,
    new RegExp(`only after ${D.wrongPasswordDelayMs / 1000} seconds`),
  );
  assertMatch(prose, new RegExp(`the limit is ${D.maxLineBytes} bytes`));
});

Deno.test("the defaults are the pinned values", () => {
  assertEquals(
    {
      ...D,
      rateLimit: { ...D.rateLimit },
      budget: byteBudget(D.rateLimit, D.maxLineBytes),
    },
    {
      hostName: "host",
      maxLineBytes: 1024,
      maxUnterminatedBytes: 16384,
      maxQueuedBytes: 262144,
      maxClients: 100,
      maxClientsPerAddress: 10,
      rateLimit: { burstLines: 40, linesPerSecond: 5 },
      nameTimeoutMs: 60000,
      idleTimeoutMs: 3600000,
      historySize: 20,
      sweepIntervalMs: 1000,
      closeGraceMs: 2000,
      wrongPasswordDelayMs: 2000,
      budget: { burstBytes: 20480, bytesPerSecond: 5120 },
    },
  );
});

Deno.test("server.ts --help gives the defaults", () => {
  for (
    const line of [
      "--max-line-bytes N longest message in bytes (default 1024)",
      "--max-clients N             clients at once (default 100)",
      "--max-per-address N         clients from one address at once (default 10)",
      "(default 40,5; ",
      "time to choose a name (default 60)",
      "(default 3600; 0 = never)",
      "(default 16384)",
      "(default 262144)",
    ]
  ) assertMatch(SERVER_HELP, new RegExp(RegExp.escape(line)));
});
