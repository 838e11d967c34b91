/**
 * Ctrl+C: close the socket and exit cleanly, not with a trace.
 *
 * @module
 */

/** What Ctrl+C does now: exit, until {@linkcode onInterrupt} sets a cleanup. */
let interruptHandler: () => void | Promise<void> = () => Deno.exit(130);

/**
 * Does what Ctrl+C does. A line editor in raw mode receives Ctrl+C as a key
 * rather than as a signal, and calls this.
 */
export function interrupt(): void {
  interruptHandler();
}

/** Runs `cleanup` on Ctrl+C (SIGINT) or SIGTERM, then exits with code 0. */
export function onInterrupt(cleanup: () => void | Promise<void>): void {
  const handler = async () => {
    // The terminal shows "^C" where the cursor was: end that line first.
    if (Deno.stdout.isTerminal()) console.log();
    try {
      await cleanup();
    } finally {
      Deno.exit(0);
    }
  };
  interruptHandler = handler;
  Deno.addSignalListener("SIGINT", handler);
  Deno.addSignalListener("SIGTERM", handler);
}
