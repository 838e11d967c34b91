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
  return commandOutput("id", ["-u"]) === "0";
}

/**
 * What a command prints on stdout, trimmed; `null` if it fails. Deno wants
 * --allow-all to read /proc, so tests ask small programs instead.
 */
export function commandOutput(command: string, args: string[]): string | null {
  try {
    const { success, stdout } = new Deno.Command(command, {
      args,
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return success ? new TextDecoder().decode(stdout).trim() : null;
  } catch {
    return null;
  }
}

async function probeIsolation(): Promise<string | null> {
  const { command, args } = isolated("getent", ["hosts", "localhost"]);
  try {
    const { success, stderr } = await new Deno.Command(command, {
      args,
      stdout: "null",
      stderr: "piped",
    }).output();
    return success
      ? null
      : `unshare failed: ${new TextDecoder().decode(stderr).trim()}`;
  } catch (error) {
    return `cannot run unshare: ${
      error instanceof Error ? error.message : error
    }`;
  }
}
