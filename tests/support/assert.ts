/**
 * The assertions tests use: Node's strict assert, since JSR's `@std/assert`
 * cannot be fetched from our machines.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Asserts deep, strict equality. */
export const assertEquals: <T>(
  actual: unknown,
  expected: T,
  message?: string,
) => asserts actual is T = assert.deepStrictEqual;
/** Asserts that a string matches a pattern. */
export const assertMatch: (
  value: string,
  pattern: RegExp,
  message?: string,
) => void = assert.match;
/** Asserts that a string does not match a pattern. */
export const assertNotMatch: (
  value: string,
  pattern: RegExp,
  message?: string,
) => void = assert.doesNotMatch;
/** Asserts that a value is truthy. */
export const assertOk: (value: unknown, message?: string) => asserts value =
  assert.ok;
/** Asserts that a function throws (class and message can be checked). */
export const assertThrows: typeof assert.throws = assert.throws;
/** Asserts that a promise rejects. */
export const assertRejects: typeof assert.rejects = assert.rejects;
