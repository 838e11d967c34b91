/**
 * A temporary folder for a test, removed with everything in it when the
 * test's `using` goes out of scope.
 *
 * @module
 */

/** A folder under the system's temporary directory; disposing removes it. */
export interface TempDir extends Disposable {
  /** Its absolute path. */
  readonly path: string;
}

/** Makes a fresh folder whose name starts with `prefix`. */
export function tempDir(prefix = "chatlab-test-"): TempDir {
  const path = Deno.makeTempDirSync({ prefix });
  return {
    path,
    [Symbol.dispose]: () => Deno.removeSync(path, { recursive: true }),
  };
}
