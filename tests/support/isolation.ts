import { commandOutput, runToExit } from "./process.ts";
/**
 * Runs a command cut off from every network but its own loopback, and with
 * host names looked up in /etc/hosts only: `unshare --net --mount`. Tests
 * that look up a name that does not exist use it, so they never send a DNS
 * query off this computer.
 *
 * @module
 */

const NSSWITCH = new URL("./nsswitch_files_only.conf", import.meta.url)
  .pathname;

const RUNS_AS_ROOT = await commandOutput("id", ["-u"]) === "0";

/** Why isolation is unavailable here, or `null` when it works. */
export const ISOLATION_UNAVAILABLE: string | null = await probeIsolation();

/**
 * The command and arguments that run `command args...` isolated: in a new
 * network namespace (only a loopback, down) and a new mount namespace where
 * /etc/nsswitch.conf says `hosts: files`.
 */
export function isolated(
  command: string,
  args: string[],
): { command: string; args: string[] } {
  return {
    command: "unshare",
    args: [
      ...(isRoot() ? [] : ["--user", "--map-root-user"]),
      "--net",
      "--mount",
      "sh",
      "-c",
      'mount --bind "$0" /etc/nsswitch.conf && exec "$@"',
      NSSWITCH,
      command,
      ...args,
    ],
  };
}

/** Whether this process runs as root (asks `id -u`: no --allow-sys needed). */
export function isRoot(): boolean {
  return RUNS_AS_ROOT;
}

async function probeIsolation(): Promise<string | null> {
  const { command, args } = isolated("getent", ["hosts", "localhost"]);
  try {
    const { status, stderrText } = await runToExit(command, args);
    return status.success ? null : `unshare failed: ${stderrText.trim()}`;
  } catch (error) {
    return `cannot run unshare: ${
      error instanceof Error ? error.message : error
    }`;
  }
}
