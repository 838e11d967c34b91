#!/usr/bin/env -S deno run --allow-net --allow-run --allow-env=INIT_CWD
// The report card for a student's chat program: runs it, checks it, and says what to fix.

import { runMain, UsageError } from "../cli/errors.ts";
import type { CheckResult } from "./check.ts";
import { CHECK_HELP, type CheckOptions, parseCheckOptions } from "./options.ts";
import {
  formatResult,
  headerLine,
  type Subject,
  summarize,
  summaryLine,
  toJson,
} from "./report.ts";
import { ROOM_CHECKS } from "./room_checks.ts";
import { runChecks } from "./runner.ts";
import { endAllPrograms } from "./program.ts";
import { TURNS_CHECKS } from "./turns_checks.ts";

async function main() {
  const options = parseCheckOptions(Deno.args);
  if (options.help) return console.log(CHECK_HELP);
  // Stopped from outside (Ctrl+C, a timeout): the student's programs go too.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      endAllPrograms();
      Deno.exit(130);
    });
  }
  const subject: Subject = {
    role: options.role,
    mode: options.mode,
    program: options.command ??
      `at ${options.address!.host}:${options.address!.port}`,
  };
  const color = !options.json && Deno.stdout.isTerminal() && !Deno.noColor;
  if (!options.json) console.log(headerLine(subject) + "\n");
  const onResult = options.json
    ? undefined
    : (result: CheckResult) =>
      console.log(formatResult(result, color, options.verbose));
  const started = performance.now();
  let results: CheckResult[];
  try {
    results = await run(options, onResult);
  } finally {
    endAllPrograms();
  }
  const summary = summarize(results);
  if (options.json) {
    console.log(toJson(subject, results));
  } else {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `\n${summaryLine(summary)} (${results.length} checks, ${seconds} s)`,
    );
  }
  if (summary.failed > 0) Deno.exit(1);
}

function run(
  options: CheckOptions,
  onResult?: (result: CheckResult) => void,
): Promise<CheckResult[]> {
  const settings = {
    timeLimitMs: options.timeLimitSeconds * 1000,
    onResult,
  };
  const context = {
    role: options.role,
    command: options.command,
    cwd: launchDirectory(),
    address: options.address,
    host: options.host,
    port: options.port,
    waitMs: options.waitSeconds * 1000,
    startMs: 5000,
  };
  if (options.mode === "room") {
    return runChecks(chosen(ROOM_CHECKS, options.only), context, settings);
  }
  return runChecks(chosen(TURNS_CHECKS, options.only), context, settings);
}

/**
 * Where the teacher ran `deno task check`: `deno task` runs in chatlab's
 * folder and says where it was started in `INIT_CWD`, so a command such as
 * `python3 ann/server.py` finds the student's file.
 */
function launchDirectory(): string | undefined {
  const permission = Deno.permissions.querySync({
    name: "env",
    variable: "INIT_CWD",
  });
  return permission.state === "granted" ? Deno.env.get("INIT_CWD") : undefined;
}

function chosen<T extends { id: string }>(checks: T[], only: string[]): T[] {
  const unknown = only.filter((id) => !checks.some((check) => check.id === id));
  if (unknown.length > 0) {
    throw new UsageError(
      `Unknown check "${unknown[0]}": use one of ${
        checks.map((check) => check.id).join(", ")
      }`,
    );
  }
  return only.length === 0
    ? checks
    : checks.filter((check) => only.includes(check.id));
}

if (import.meta.main) await runMain(main);
