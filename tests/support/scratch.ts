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
    const { success, stdout } = await new Deno.Command("mktemp", {
      args: ["-d", "-t", "chatlab-test.XXXXXX"],
      stdout: "piped",
    }).output();
    if (!success) throw new Error("mktemp -d failed");
    return new ScratchDir(new TextDecoder().decode(stdout).trim());
  }

  /** Writes `text` to the file `name` in the directory; returns its path. */
  async write(name: string, text: string): Promise<string> {
    const path = `${this.path}/${name}`;
    const child = new Deno.Command("sh", {
      args: ["-c", 'cat > "$0"', path],
      stdin: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    if (!(await child.status).success) throw new Error(`cannot write ${path}`);
    return path;
  }

  /** Removes the directory and everything in it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await new Deno.Command("rm", { args: ["-rf", this.path] }).output();
  }
}
