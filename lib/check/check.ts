/**
 * What a check is and what it reports: the vocabulary shared by the runner,
 * the groups of checks and the report card.
 *
 * @module
 */

/** The verdict of one check. */
export type Status = "pass" | "fail" | "not applicable";

/** One line of the report card. */
export interface CheckResult {
  /** A short stable id, e.g. `split-read`, for scripts and `--json`. */
  id: string;
  /** What is checked, in a few words. */
  title: string;
  /** The verdict. */
  status: Status;
  /** What the checker sent or did. */
  sent: string;
  /** What came back (or why the check does not apply). */
  got: string;
  /** Why it matters, in one sentence. */
  why: string;
  /** How to fix it, in the student's terms; only on a failure. */
  hint?: string;
  /** How long the check took, in milliseconds. */
  ms: number;
}

/** What a check's body returns: the verdict and the evidence. */
export interface Outcome {
  /** Whether it passed. */
  pass: boolean;
  /** What the checker sent or did. */
  sent: string;
  /** What came back. */
  got: string;
  /** The hint for this failure, when it differs from the check's own. */
  hint?: string;
}

/** A check as the runner sees it. */
export interface Check<Context> {
  /** See {@linkcode CheckResult.id}. */
  id: string;
  /** See {@linkcode CheckResult.title}. */
  title: string;
  /** See {@linkcode CheckResult.why}. */
  why: string;
  /** The usual hint on failure. */
  hint: string;
  /** Why the check cannot run for this program, or `null` if it can. */
  notApplicable?: (context: Context) => string | null;
  /**
   * Runs the check. Everything it opens goes on `stack`, which the runner
   * disposes of when the check ends, passes, fails or runs out of time.
   */
  run: (context: Context, stack: AsyncDisposableStack) => Promise<Outcome>;
}

/** A passing outcome. */
export function passed(sent: string, got: string): Outcome {
  return { pass: true, sent, got };
}

/** A failing outcome, with a hint when the check's usual one does not fit. */
export function failed(sent: string, got: string, hint?: string): Outcome {
  return { pass: false, sent, got, hint };
}

/** Text shortened for a report line, with its length when cut. */
export function shorten(value: string, max = 80): string {
  const shown = JSON.stringify(value);
  if (shown.length <= max) return shown;
  return `${shown.slice(0, max - 1)}…" (${value.length} characters)`;
}

/** The program could not be started or reached, so the check could not run. */
export class SetupFailure extends Error {
  /** What the checker did. */
  readonly sent: string;
  /** How to fix it. */
  readonly hint: string;

  /** A failure to start or reach the program, with what was tried and a hint. */
  constructor(message: string, sent: string, hint: string) {
    super(message);
    this.name = "SetupFailure";
    this.sent = sent;
    this.hint = hint;
  }
}
