/**
 * Waiting before connecting again. Exponential backoff with full jitter: a
 * room restarted under a whole class is not hit by every client in the
 * same instant, and Ctrl+C ends a wait at once.
 *
 * @module
 */

/** Options for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /**
   * The first wait, doubled each try up to `maxDelayMs`.
   *
   * @default {250}
   */
  minDelayMs?: number;
  /**
   * The longest wait between two tries.
   *
   * @default {5000}
   */
  maxDelayMs?: number;
}

/** The wait before try `attempt` (0 first): exponential, with full jitter. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
): number {
  const min = options.minDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5000;
  const ceiling = Math.min(max, min * 2 ** attempt);
  return ceiling / 2 + Math.random() * ceiling / 2;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
