/**
 * Telling a connection that is gone from a bug. A client that reconnects
 * meets a closed or reset connection as a matter of course: those errors
 * mean "connect again", while anything else must still surface.
 *
 * @module
 */

/** Errors a read or write gives once the connection is gone. */
export function isConnectionGone(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.UnexpectedEof;
}

/** Lets a write fail quietly if the connection is gone; anything else is a bug. */
export function ignoreConnectionGone(error: unknown): void {
  if (!isConnectionGone(error)) throw error;
}

/** Closes `conn`, which may already be closed. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}
