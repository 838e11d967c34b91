/**
 * `node:util`'s parseArgs as the scripts use it: strict, with the forms a
 * user types that parseArgs alone would refuse or misread (`--port -1`, a
 * bare `--wire`), and its errors said in plain words.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import { WIRE_TEXT } from "./option_values.ts";

/** What parseArgs takes as `options`. */
export type OptionSpecs = NonNullable<
  Parameters<typeof parseArgs>[0]
>["options"];

/** What {@linkcode parseStrictly} returns: the values and the positionals. */
export type StrictlyParsed<T extends OptionSpecs> = ReturnType<
  typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>
>;

/** parseArgs, strict, with every mistake a {@linkcode UsageError} in plain words. */
export function parseStrictly<T extends OptionSpecs>(
  args: string[],
  options: T,
): StrictlyParsed<T> {
  try {
    return parseArgs({
      args: attachNegativeValues(attachWireValue(args), options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(explainParseError(error));
  }
}

/** parseArgs' message as one line a user understands. */
function explainParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (unknown) return `Unknown option "${unknown[1]}" (see --help)`;
  const missing = message.match(
    /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/,
  );
  if (missing) return `Option "${missing[1]}" needs a value (see --help)`;
  return `${message.split(".")[0]} (see --help)`;
}

/**
 * `--wire` takes no value, `--wire=hex` one: parseArgs has no optional
 * values, so a bare `--wire` (or `--wire hex`) is given its value here.
 */
function attachWireValue(args: string[]): string[] {
  const attached: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return [...attached, ...args.slice(i)];
    if (args[i] !== "--wire") attached.push(args[i]);
    else if (args[i + 1] === "hex") attached.push(`--wire=${args[++i]}`);
    else attached.push(`--wire=${WIRE_TEXT}`);
  }
  return attached;
}

/**
 * `--port -1` becomes `--port=-1` (and `-p -1`, `-p-1`): parseArgs calls a
 * value starting with "-" ambiguous, but a user who types a negative number
 * after an option means it as the value, which is then refused plainly.
 */
function attachNegativeValues(args: string[], options: OptionSpecs): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options ?? {})) {
    if (spec.type !== "string") continue;
    takesValue.add(`--${name}`);
    if (spec.short) takesValue.add(`-${spec.short}`);
  }
  const attached: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [arg, next] = [args[i], args[i + 1]];
    if (arg === "--") return [...attached, ...args.slice(i)];
    if (takesValue.has(arg) && next !== undefined && /^-\d/.test(next)) {
      attached.push(arg.startsWith("--") ? `${arg}=${next}` : arg + next);
      i++;
    } else {
      attached.push(arg);
    }
  }
  return attached;
}
