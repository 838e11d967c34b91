/**
 * Runs checks one after another, each with its own time limit and its own
 * clean-up: whatever a check started or opened is ended and closed when it
 * finishes, however the program behaved, and the run goes on.
 *
 * @module
 */

import {
  type Check,
  type CheckResult,
  type Outcome,
  SetupFailure,
} from "./check.ts";

/** Options for {@linkcode runChecks}. */
export interface RunChecksOptions {
  /**
   * The most one check may take, in milliseconds.
   *
   * @default {10000}
   */
  timeLimitMs?: number;
  /** Called with each result as soon as it is known. */
  onResult?: (result: CheckResult) => void;
}

/** Runs `checks` against `context` and returns their results in order. */
export async function runChecks<Context>(
  checks: Check<Context>[],
  context: Context,
  options: RunChecksOptions = {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let unreachable: SetupFailure | null = null;
  for (const [index, check] of checks.entries()) {
    const applicable = check.notApplicable?.(context) == null;
    const result: RunResult = unreachable && applicable
      ? notRun(check, checks[0].id, unreachable)
      : await runOne(check, context, options.timeLimitMs ?? 10_000);
    // A program the first check could not even start or reach would cost
    // every other check the same wait: they fail at once, saying why.
    if (index === 0 && result.setupFailure) unreachable = result.setupFailure;
    delete result.setupFailure;
    options.onResult?.(result);
    results.push(result);
  }
  return results;
}

/** A check's result, and the setup failure that decided it, if any. */
type RunResult = CheckResult & { setupFailure?: SetupFailure };

function notRun<Context>(
  check: Check<Context>,
  firstId: string,
  failure: SetupFailure,
): RunResult {
  return {
    id: check.id,
    title: check.title,
    why: check.why,
    status: "fail",
    sent: "",
    got: `not run: the program could not be reached (see ${firstId})`,
    hint: failure.hint,
    ms: 0,
  };
}

async function runOne<Context>(
  check: Check<Context>,
  context: Context,
  timeLimitMs: number,
): Promise<RunResult> {
  const start = performance.now();
  const base = { id: check.id, title: check.title, why: check.why };
  const reason = check.notApplicable?.(context) ?? null;
  if (reason !== null) {
    return { ...base, status: "not applicable", sent: "", got: reason, ms: 0 };
  }
  const stack = new AsyncDisposableStack();
  let outcome: Outcome;
  let setupFailure: SetupFailure | undefined;
  try {
    outcome = await withinLimit(check.run(context, stack), timeLimitMs);
  } catch (error) {
    if (error instanceof SetupFailure) setupFailure = error;
    outcome = error instanceof SetupFailure
      ? { pass: false, sent: error.sent, got: error.message, hint: error.hint }
      : {
        pass: false,
        sent: "",
        got: `the checker could not finish: ${messageOf(error)}`,
      };
  } finally {
    await stack.disposeAsync().catch((error) => {
      console.error(
        `warning: cleaning up after ${check.id}: ${messageOf(error)}`,
      );
    });
  }
  return {
    ...base,
    status: outcome.pass ? "pass" : "fail",
    sent: outcome.sent,
    got: outcome.got,
    ...(outcome.pass ? {} : { hint: outcome.hint ?? check.hint }),
    ms: Math.round(performance.now() - start),
    ...(setupFailure ? { setupFailure } : {}),
  };
}

async function withinLimit(
  running: Promise<Outcome>,
  ms: number,
): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() =>
      resolve({
        pass: false,
        sent: "",
        got: `no result within the time limit of ${
          ms / 1000
        } s (the program hung)`,
      }), ms);
  });
  // A check that ran out of time fails as its program and sockets are
  // closed under it; that late failure is not news, so it is let go.
  running.catch((error) => {
    if (!(error instanceof Error)) throw error;
  });
  try {
    return await Promise.race([running, limit]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
