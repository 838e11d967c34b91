import { commandOutput, runToExit } from "./process.ts";
/**
 * A scratch directory made and removed by `mktemp` and `rm`, with files
 * written by `sh`, so tests need no --allow-write.
 *
 * @module
 */

/** A temporary directory, removed on dispose. */
export class ScratchDir implements AsyncDisposable {
  /** Its path. */
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** Makes a new, empty directory. */
  static async create(): Promise<ScratchDir> {
    const path = await commandOutput("mktemp", [
      "-d",
      "-t",
      "chatlab-test.XXXXXX",
    ]);
    if (path === null) throw new Error("mktemp -d failed");
    return new ScratchDir(path);
  }

  /** Writes `text` to the file `name` in the directory; returns its path. */
  async write(name: string, text: string): Promise<string> {
    const path = `${this.path}/${name}`;
    const { status } = await runToExit("sh", ["-c", 'cat > "$0"', path], {
      input: text,
    });
    if (!status.success) throw new Error(`cannot write ${path}`);
    return path;
  }

  /** Removes the directory and everything in it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await runToExit("rm", ["-rf", this.path]);
  }
}
