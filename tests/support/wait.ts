/**
 * Bounded waits. Every wait in `tests/support/` ends after {@linkcode WAIT_MS}
 * (or a bound its caller names), so nothing awaits a process, pipe or socket
 * without a limit: a hang guard, never a speed check.
 *
 * @module
 */

/** How long a test waits for an expected line before failing (a hang guard, not a speed check). */
export const WAIT_MS = 15_000;

/** Rejects if `promise` takes longer than `ms`. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  ms: number = WAIT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Options for {@linkcode eventually}. */
export interface EventuallyOptions {
  /**
   * How long to keep checking.
   *
   * @default {WAIT_MS}
   */
  timeoutMs?: number;
  /**
   * The pause between two checks.
   *
   * @default {50}
   */
  intervalMs?: number;
}

/**
 * Checks until `check()` holds, for state that has no line to wait for (a
 * count in /proc, a screen, a listener); fails after the time limit with
 * `what` (a function is asked only then, so it can show the latest state).
 */
export async function eventually(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  options: EventuallyOptions = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? WAIT_MS);
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting: ${typeof what === "string" ? what : what()}`,
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, options.intervalMs ?? 50)
    );
  }
}
