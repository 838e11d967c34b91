/**
 * Ctrl+C: close the socket and exit cleanly, not with a trace.
 *
 * @module
 */

/** Runs `cleanup` on Ctrl+C (SIGINT) or SIGTERM, then exits with code 0. */
export function onInterrupt(cleanup: () => void | Promise<void>): void {
  const handler = async () => {
    try {
      await cleanup();
    } finally {
      Deno.exit(0);
    }
  };
  Deno.addSignalListener("SIGINT", handler);
  Deno.addSignalListener("SIGTERM", handler);
}
