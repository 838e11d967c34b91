/**
 * The report card: one line per check, the evidence and a hint under each
 * failure, a summary line; or the same as JSON for grading a class.
 *
 * @module
 */

import { styleText } from "node:util";
import type { CheckResult, Status } from "./check.ts";

/** Counts of each verdict. */
export interface Summary {
  /** Checks that passed. */
  passed: number;
  /** Checks that failed. */
  failed: number;
  /** Checks that do not apply to this program. */
  notApplicable: number;
}

/** What was checked, for the report's header. */
export interface Subject {
  /** The program's side. */
  role: "server" | "client";
  /** `turns` or `room`. */
  mode: "turns" | "room";
  /** Its command, or the address of a running server. */
  program: string;
}

/** Counts the verdicts in `results`. */
export function summarize(results: CheckResult[]): Summary {
  const count = (status: Status) =>
    results.filter((result) => result.status === status).length;
  return {
    passed: count("pass"),
    failed: count("fail"),
    notApplicable: count("not applicable"),
  };
}

/** The summary as one line: `9 passed, 2 failed, 1 not applicable`. */
export function summaryLine(summary: Summary): string {
  return `${summary.passed} passed, ${summary.failed} failed, ${summary.notApplicable} not applicable`;
}

/** The report's first line. */
export function headerLine(subject: Subject): string {
  const mode = subject.mode === "room"
    ? "room (PROTOCOL.md)"
    : "take turns (the lesson)";
  return `Checking the ${subject.role} ${subject.program}, ${mode}`;
}

const LABELS: Record<Status, string> = {
  pass: "PASS",
  fail: "FAIL",
  "not applicable": "N/A ",
};

/**
 * One check as it appears on the report card: one line, with what was sent,
 * what came back, why and a hint under a failure (and what was sent and
 * came back under a pass too when `verbose`).
 */
export function formatResult(
  result: CheckResult,
  color: boolean,
  verbose = false,
): string {
  const paint = (style: "green" | "red" | "dim", text: string) =>
    color ? styleText(style, text) : text;
  const label = result.status === "pass"
    ? paint("green", LABELS.pass)
    : result.status === "fail"
    ? paint("red", LABELS.fail)
    : paint("dim", LABELS["not applicable"]);
  const head = `${label}  ${result.id.padEnd(18)} ${result.title}`;
  if (result.status === "not applicable") return `${head} (${result.got})`;
  if (result.status === "pass") {
    if (!verbose) return head;
    return [head, `      sent: ${result.sent}`, `      got:  ${result.got}`]
      .join("\n");
  }
  return [
    head,
    `      sent: ${result.sent}`,
    `      got:  ${result.got}`,
    `      why:  ${result.why}`,
    `      hint: ${result.hint}`,
  ].join("\n");
}

/** The whole result as one JSON document. */
export function toJson(subject: Subject, results: CheckResult[]): string {
  const summary = summarize(results);
  return JSON.stringify(
    { ...subject, ok: summary.failed === 0, summary, checks: results },
    null,
    2,
  );
}
