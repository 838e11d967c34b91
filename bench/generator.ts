/**
 * The load generator, `bench/load.c`: built with the machine's `gcc` into
 * bench/build/ (gitignored, but committed empty so a fresh clone can build
 * without write access to anything else), and the command that runs it.
 *
 * @module
 */

import { ROOT } from "./processes.ts";

/** The generator's source, relative to the repository root. */
export const GENERATOR_SOURCE = "bench/load.c";

/** Where the built generator goes, relative to the repository root. */
export const GENERATOR_BINARY = "bench/build/load";

/** The `gcc` flags: optimised, and every warning an error. */
export const GCC_FLAGS: readonly string[] = [
  "-O2",
  "-Wall",
  "-Wextra",
  "-Werror",
];

/**
 * Builds the generator and returns its absolute path. gcc writes to a name
 * of this process's own and `mv` puts it in place, so that two runs building
 * at once (the smoke test and a bench run) never run a half-written file.
 */
export async function buildGenerator(): Promise<string> {
  const binary = `${ROOT}${GENERATOR_BINARY}`;
  const partial = `${binary}.${Deno.pid}.partial`;
  await run("gcc", [
    ...GCC_FLAGS,
    "-o",
    partial,
    `${ROOT}${GENERATOR_SOURCE}`,
  ]);
  await run("mv", ["-f", partial, binary]);
  return binary;
}

async function run(command: string, args: string[]): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot build the load generator: "${command}" is not installed (sudo apt-get install gcc)`,
        { cause: error },
      );
    }
    throw error;
  }
  if (!output.success) {
    const text = new TextDecoder().decode(output.stderr).trim();
    throw new Error(
      `Building the load generator failed: ${command} ${
        args.join(" ")
      }: ${text}`,
    );
  }
}
