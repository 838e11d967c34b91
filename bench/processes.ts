/**
 * Starting the benchmark's processes with the tests' helpers: pinned to a
 * core, with a raised limit on open files, their output collected line by
 * line, and always killed; a free port, and waiting for a listener.
 *
 * @module
 */

import {
  RunningProcess,
  runToExit,
  type SpawnOptions,
} from "../tests/support/process.ts";
import { eventually } from "../tests/support/wait.ts";

/** The repository root (defined once, in the tests' helpers): every command runs from there. */
export { ROOT } from "../tests/support/paths.ts";

/** The only address anything in the benchmark uses. */
export const LOOPBACK = "127.0.0.1";

/** The core the server under test is pinned to. */
export const SERVER_CORE = 0;

/** The core the load generator is pinned to. */
export const GENERATOR_CORE = 1;

/** The open-file limit asked for: a room of 1000 needs more than 1024. */
export const OPEN_FILES = 65536;

/**
 * A benchmark process: a test helpers' {@linkcode RunningProcess} with stdin
 * at its end (`"null"`) unless asked, and the open-file limit raised to
 * {@linkcode OPEN_FILES}.
 */
export class Spawned extends RunningProcess {
  /** Starts `command` with `args`. */
  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    super(command, args, { stdin: "null", openFiles: OPEN_FILES, ...options });
  }
}

/** Where {@linkcode freePort} looks: below Linux's ephemeral ports (32768 and up). */
const PORT_RANGE = { lowest: 20_000, highest: 32_000 } as const;

/**
 * A port on 127.0.0.1 that was free a moment ago. It is chosen below the
 * ephemeral range on purpose: a run of 1000 clients leaves thousands of
 * ephemeral ports in use or closing, and a server given one of those (as
 * port 0 can) fails to listen or, worse, a test connection to it connects
 * to itself.
 */
export function freePort(): number {
  const span = PORT_RANGE.highest - PORT_RANGE.lowest;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = PORT_RANGE.lowest + Math.floor(Math.random() * span);
    try {
      Deno.listen({ hostname: LOOPBACK, port }).close();
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error(
    `No free port between ${PORT_RANGE.lowest} and ${PORT_RANGE.highest}`,
  );
}

/**
 * Waits until something listens on 127.0.0.1:`port`, by connecting and at
 * once closing (every target ignores a client that leaves before its name).
 */
export async function waitForListener(
  port: number,
  process: Spawned,
  timeoutMs: number,
): Promise<void> {
  let exited = false;
  process.child.status.then(() => exited = true);
  await eventually(`something listening on port ${port}`, async () => {
    try {
      const conn = await Deno.connect({ hostname: LOOPBACK, port });
      conn.close();
      return true;
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
    }
    if (exited) {
      throw new Error(
        `The server exited before listening: ${process.stderr.text}`,
      );
    }
    return false;
  }, { timeoutMs, intervalMs: 20 });
}

/** The first line a command prints (stdout or stderr), or `null` if it cannot run. */
export async function firstLineOf(
  command: string,
  args: string[],
): Promise<string | null> {
  try {
    const { stdoutText, stderrText } = await runToExit(command, args);
    return (stdoutText.trim() || stderrText.trim()).split("\n")[0] ?? null;
  } catch {
    return null;
  }
}
