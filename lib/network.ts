/**
 * Opening connections and listeners, with failures explained in one line.
 *
 * @module
 */

import { describeNetworkError } from "./errors.ts";

/** How long the client waits for a server that does not answer at all. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Connects to `host:port` with Nagle's delay turned off. */
export async function connectTo(
  host: string,
  port: number,
): Promise<Deno.TcpConn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Deno.errors.TimedOut("Connection timed out")),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    const conn = await Promise.race([
      Deno.connect({ hostname: host, port }),
      timeout,
    ]);
    conn.setNoDelay(true);
    return conn;
  } catch (error) {
    throw new Error(
      describeNetworkError(error, { action: "connect", host, port }),
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Listens on `host:port` (port 0 picks a free one). */
export function listenOn(host: string, port: number): Deno.TcpListener {
  try {
    return Deno.listen({ hostname: host, port });
  } catch (error) {
    throw new Error(
      describeNetworkError(error, { action: "listen", host, port }),
    );
  }
}

/** The port a listener actually got (useful after port 0). */
export function listeningPort(listener: Deno.TcpListener): number {
  return listener.addr.port;
}
