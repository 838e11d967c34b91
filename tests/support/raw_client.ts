/**
 * A room client written straight from PROTOCOL.md with a bare TCP socket, as
 * a student's own program would be: connect, send a name line, read lines.
 *
 * @module
 */

import { LineReader } from "../../lib/wire/line_reader.ts";
import { writeAll } from "../../lib/wire/write_all.ts";
import { WAIT_MS, withTimeout } from "./process.ts";

const encoder = new TextEncoder();

/** A raw TCP client that collects every line it receives. */
export class RawClient implements AsyncDisposable {
  readonly conn: Deno.TcpConn;
  readonly lines: string[] = [];
  readonly #reader: LineReader;
  #reading: Promise<void> | null = null;
  #ended = false;
  #wake: (() => void) | null = null;

  private constructor(conn: Deno.TcpConn, maxLineBytes: number) {
    this.conn = conn;
    this.#reader = new LineReader(conn, { maxLineBytes });
  }

  /** Connects to 127.0.0.1:`port` and starts reading. */
  static async connect(
    port: number,
    options: { read?: boolean; maxLineBytes?: number } = {},
  ): Promise<RawClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const client = new RawClient(conn, options.maxLineBytes ?? 64 * 1024);
    if (options.read !== false) client.#reading = client.#readAll();
    return client;
  }

  /** Connects, sends `name` and waits for the server's hello. */
  static async join(port: number, name: string): Promise<RawClient> {
    const client = await RawClient.connect(port);
    await client.send(name);
    await client.waitForLineStarting(`*** Hello ${name}!`);
    return client;
  }

  /** Whether the server has closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Sends text exactly as given (add `\n` yourself for a raw fragment). */
  async sendRaw(text: string | Uint8Array): Promise<void> {
    // A server that stops reading fills the socket: fail, never hang.
    await withTimeout(
      writeAll(
        this.conn,
        typeof text === "string" ? encoder.encode(text) : text,
      ),
      "the server to take what was sent",
    );
  }

  /** Sends each line followed by `\n`, in one write. */
  async send(...lines: string[]): Promise<void> {
    await this.sendRaw(lines.map((line) => line + "\n").join(""));
  }

  /** Waits for a line that is exactly `line` (the whole line); returns it. */
  waitForLine(line: string): Promise<string> {
    return this.#waitUntil(
      (text) => text === line,
      `a line equal to ${JSON.stringify(line)}`,
    );
  }

  /** Waits for a line that starts with `prefix`; returns the whole line. */
  waitForLineStarting(prefix: string): Promise<string> {
    return this.#waitUntil(
      (text) => text.startsWith(prefix),
      `a line starting with ${JSON.stringify(prefix)}`,
    );
  }

  /** Waits for a line matching `pattern`; returns the whole line. */
  waitForMatch(pattern: RegExp): Promise<string> {
    return this.#waitUntil(
      (text) => pattern.test(text),
      `a line matching ${pattern}`,
    );
  }

  /**
   * Waits for a line matching `pattern`, or starting with it when it is a
   * string.
   *
   * @deprecated Say what is meant: {@linkcode RawClient.waitForLine},
   * {@linkcode RawClient.waitForLineStarting} or
   * {@linkcode RawClient.waitForMatch}.
   */
  waitFor(pattern: string | RegExp): Promise<string> {
    return typeof pattern === "string"
      ? this.waitForLineStarting(pattern)
      : this.waitForMatch(pattern);
  }

  /** Waits until the server closes the connection. */
  async waitForEnd(): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.#ended) {
      if (Date.now() > deadline) {
        throw new Error("The server did not close the connection");
      }
      await this.#nextLine(deadline);
    }
  }

  /** Closes the socket and waits until the reading loop has finished. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    await withTimeout(
      Promise.resolve(this.#reading),
      "the reading loop to end",
    );
  }

  /** Same as {@linkcode RawClient.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Checks each line, old and new, until one `matches` or time is up. */
  async #waitUntil(
    matches: (line: string) => boolean,
    what: string,
  ): Promise<string> {
    let seen = 0;
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      for (; seen < this.lines.length; seen++) {
        if (matches(this.lines[seen])) return this.lines[seen];
      }
      if (this.#ended) {
        throw new Error(
          `Connection ended before ${what}; got:\n${this.lines.join("\n")}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `No ${what} within ${WAIT_MS} ms; got:\n${
            this.lines.slice(-20).join("\n")
          }`,
        );
      }
      await this.#nextLine(deadline);
    }
  }

  #nextLine(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #readAll(): Promise<void> {
    try {
      for (let frame; (frame = await this.#reader.readFrame()) !== null;) {
        this.lines.push(
          frame.kind === "line" ? frame.text : `<oversize ${frame.bytes}>`,
        );
        this.#wake?.();
      }
    } catch {
      // Reset or closed by us: the stream is over either way.
    }
    this.#ended = true;
    this.#wake?.();
  }
}
