/**
 * A room client written straight from PROTOCOL.md with a bare TCP socket, as
 * a student's own program would be: connect, send a name line, read lines.
 *
 * @module
 */

import { LineReader } from "../../lib/wire/line_reader.ts";
import { writeAll } from "../../lib/wire/write_all.ts";
import { LineLog } from "./output_lines.ts";
import { withTimeout } from "./wait.ts";

const encoder = new TextEncoder();

/** A raw TCP client that collects every line it receives. */
export class RawClient implements AsyncDisposable {
  readonly conn: Deno.TcpConn;
  readonly #log = new LineLog("Connection");
  readonly #reader: LineReader;
  #reading: Promise<void> | null = null;

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
    return this.#log.ended;
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

  /** Every line received so far (an oversize one as `<oversize N>`). */
  get lines(): string[] {
    return this.#log.lines;
  }

  /** Waits for a line that is exactly `line` (the whole line); returns it. */
  waitForLine(line: string): Promise<string> {
    return this.#log.waitForLine(line);
  }

  /** Waits for a line that starts with `prefix`; returns the whole line. */
  waitForLineStarting(prefix: string): Promise<string> {
    return this.#log.waitForLineStarting(prefix);
  }

  /** Waits for a line matching `pattern`; returns the match (`input` is the line). */
  waitForMatch(pattern: RegExp): Promise<RegExpMatchArray> {
    return this.#log.waitForMatch(pattern);
  }

  /** Waits until the server closes the connection. */
  async waitForEnd(): Promise<void> {
    await this.#log.waitForEnd();
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

  async #readAll(): Promise<void> {
    try {
      for (let frame; (frame = await this.#reader.readFrame()) !== null;) {
        this.#log.push(
          frame.kind === "line" ? frame.text : `<oversize ${frame.bytes}>`,
        );
      }
    } catch {
      // Reset or closed by us: the stream is over either way.
    }
    this.#log.end();
  }
}
