/**
 * Waiting for something with a time limit, without leaving a timer behind.
 *
 * @module
 */

/** Resolves to what `promise` gives, or to `null` if that takes longer than `ms`. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
