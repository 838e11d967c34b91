/**
 * A real browser for tests: Debian's Chromium driven by playwright-core, with
 * no browser download. Tests that use it go through {@linkcode testInBrowser},
 * which skips without Chromium (one line naming the package) except in CI.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";
import { needProgram, testNeeding } from "./requires.ts";

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Flags for headless Chromium as root on a machine with no internet: no
 * sandbox (we are root) and none of the background traffic it would try.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Launches headless Chromium; dispose it to close every page. */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  return Object.assign(browser, {
    [Symbol.asyncDispose]: () => browser.close(),
  });
}

/** Defines a test that needs Chromium (skipped without it, except in CI). */
export function testInBrowser(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  testNeeding(needProgram("chromium", "chromium"), name, fn, {
    // playwright-core keeps its own timers and pipes open between tests.
    sanitizeOps: false,
    sanitizeResources: false,
  });
}
