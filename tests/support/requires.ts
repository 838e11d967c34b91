/**
 * Tests that need something outside Deno (a program such as `nc` or
 * `chromium`, root, IPv6, a Docker engine). Without `CI=true` a missing
 * requirement skips the test with one line naming it and how to get it; with
 * `CI=true` nothing skips: the test runs and fails, saying what is missing.
 *
 * @module
 */

/** Whether this run is CI's (`CI=true`), where nothing may be skipped. */
export const IN_CI: boolean = Deno.env.get("CI") === "true";

/** A requirement of a test: `null` when met, else why not and how to fix it. */
export type Missing = string | null;

const programCache = new Map<string, boolean>();

/** Whether `program` can be found on `PATH` (looked up once per run). */
export function hasProgram(program: string): boolean {
  const cached = programCache.get(program);
  if (cached !== undefined) return cached;
  const found = (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
    try {
      return Deno.statSync(`${dir}/${program}`).isFile;
    } catch {
      return false;
    }
  });
  programCache.set(program, found);
  return found;
}

/** `null` when `program` is installed, else a line naming its Debian package. */
export function needProgram(program: string, debianPackage: string): Missing {
  return hasProgram(program)
    ? null
    : `${program} is not installed (sudo apt-get install ${debianPackage})`;
}

/** The first of several requirements that is not met, or `null`. */
export function firstMissing(...missing: Missing[]): Missing {
  return missing.find((reason) => reason !== null) ?? null;
}

/** Options for {@linkcode testNeeding}: `Deno.test`'s, less `ignore`. */
export type NeedingOptions = Omit<
  Deno.TestDefinition,
  "ignore" | "fn" | "name"
>;

/**
 * Defines a test that needs `missing` to be `null`. Outside CI a missing
 * requirement skips it, and the reason is part of the skipped test's one
 * line (`NAME (skipped: REASON) ... ignored`); in CI the test runs and fails
 * at once with the reason.
 */
export function testNeeding(
  missing: Missing,
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
  options: NeedingOptions = {},
): void {
  const skip = missing !== null && !IN_CI;
  Deno.test({
    ...options,
    // Deno runs each test file in its own isolate, and a line printed while a
    // file loads shows up as the previous file's output: the reason goes in
    // the very line that says the test was skipped.
    name: skip ? `${name} (skipped: ${missing})` : name,
    ignore: skip,
    fn: missing === null ? fn : () => {
      throw new Error(`Cannot run in CI: ${missing}`);
    },
  });
}

/** `null` when this computer has an IPv6 loopback (`::1`) to listen on. */
export function needIpv6Loopback(): Missing {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return null;
  } catch (error) {
    return `no IPv6 loopback (::1) here (${
      error instanceof Error ? error.message : error
    }): enable IPv6 on lo (sysctl net.ipv6.conf.lo.disable_ipv6=0)`;
  }
}
