/**
 * Where passphrases come from: the environment (only where the run may read
 * it) or a file, never silently nothing when one was meant.
 *
 * @module
 */

import { isGranted, requirePermission } from "./permissions.ts";

/** The environment variable that can hold a room passphrase, out of sight of `ps`. */
export const PASSWORD_VARIABLE = "CHATLAB_PASSWORD";

/** Where `server.ts` reads the moderator passphrase (`/op`) from. */
export const OP_PASSWORD_VARIABLE = "CHATLAB_OP_PASSWORD";

/**
 * The passphrase in `variable` (`CHATLAB_PASSWORD` unless told), if this run
 * may read it (the tasks and shebangs grant `--allow-env` for it) and it is
 * set.
 */
export function passwordFromEnvironment(
  variable: string = PASSWORD_VARIABLE,
): string | undefined {
  if (!isGranted({ name: "env", variable })) return undefined;
  return Deno.env.get(variable) || undefined;
}

/**
 * A room's passphrase from `CHATLAB_PASSWORD`. Fails closed: a run that may
 * not read the variable cannot tell whether one was meant, and starting an
 * open room when the teacher set a passphrase would be a silent security
 * hole, so it refuses to start instead.
 */
export function roomPasswordFromEnvironment(): string | undefined {
  if (!isGranted({ name: "env", variable: PASSWORD_VARIABLE })) {
    throw new Error(
      `This run may not read ${PASSWORD_VARIABLE}, so a room passphrase set there would be ignored: add --allow-env=${PASSWORD_VARIABLE} to the deno run command (deno task server has it), or use --password-file FILE`,
    );
  }
  return Deno.env.get(PASSWORD_VARIABLE) || undefined;
}

/** The first line of `path`, refusing an unreadable or empty file. */
export function readPasswordFile(path: string): string {
  requirePermission({ name: "read", path });
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(
      `Cannot read the passphrase file "${path}": ${reason}, so the room would be open to anyone: fix the file or its name`,
      { cause: error },
    );
  }
  const password = text.split(/\r?\n/)[0];
  if (password === "") {
    throw new Error(
      `The passphrase file "${path}" has an empty first line: write the passphrase on it`,
    );
  }
  return password;
}
