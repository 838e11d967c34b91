/**
 * Reading Linux's `/proc`. Deno grants `/proc` only with `--allow-all`, so
 * the checker (which runs with `--allow-run` to start programs anyway) asks
 * `cat` for the files instead.
 *
 * @module
 */

/**
 * The contents of the `/proc` files matching `pattern` (a shell glob such
 * as `/proc/[0-9]*\/stat`), concatenated; `null` where there is no `/proc`.
 */
export async function readProc(pattern: string): Promise<string | null> {
  try {
    const { stdout } = await new Deno.Command("sh", {
      // Files of processes that exit meanwhile vanish: their errors are noise.
      args: ["-c", `cat ${pattern} 2>/dev/null`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const text = new TextDecoder().decode(stdout);
    return text === "" ? null : text;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
