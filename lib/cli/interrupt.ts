/**
 * Ctrl+C: close the socket and exit cleanly, not with a trace.
 *
 * @module
 */

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
  Deno.addSignalListener("SIGINT", handler);
  Deno.addSignalListener("SIGTERM", handler);
}
