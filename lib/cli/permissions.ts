/**
 * Checking a Deno permission without ever asking for it. In a terminal, a
 * call that needs a permission the run lacks makes Deno stop and ask
 * `Allow? [y/n/A]`; chatlab checks first and says in one line which flag is
 * missing instead.
 *
 * @module
 */

/** The command-line flag that grants each kind of permission. */
const FLAGS = {
  net: "--allow-net",
  read: "--allow-read",
  env: "--allow-env",
  sys: "--allow-sys",
  run: "--allow-run",
} as const;

/** A permission chatlab may need, with the value Deno checks. */
export type NeededPermission =
  | { name: "net"; host: string }
  | { name: "read"; path: string }
  | { name: "env"; variable: string }
  | { name: "sys"; kind: "networkInterfaces" }
  | { name: "run"; command: string };

/** Whether this run has `permission` (never prompts). */
export function isGranted(permission: NeededPermission): boolean {
  return Deno.permissions.querySync(permission).state === "granted";
}

/**
 * Throws `Deno.errors.NotCapable`, worded as Deno words it, unless this run
 * has `permission`; never prompts.
 */
export function requirePermission(permission: NeededPermission): void {
  if (isGranted(permission)) return;
  throw new Deno.errors.NotCapable(
    `Requires ${permission.name} access to "${
      valueOf(permission)
    }", run again with the ${FLAGS[permission.name]} flag`,
  );
}

function valueOf(permission: NeededPermission): string {
  switch (permission.name) {
    case "net":
      return permission.host;
    case "read":
      return permission.path;
    case "env":
      return permission.variable;
    case "sys":
      return permission.kind;
    case "run":
      return permission.command;
  }
}
