/**
 * A client of a room server, as the checker plays it: lines in and out,
 * waits bounded by a time limit, and a way to stop reading. On this
 * computer each client connects from its own loopback address (127.0.x.y),
 * so a server's limit per address does not count the checker's clients as
 * one person.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { LineLog } from "./line_log.ts";

let nextSource = 0;

/** The next source address on loopback: 127.0.1.1, 127.0.1.2, ... */
function nextLoopbackSource(): string {
  const index = nextSource++ % (250 * 250);
  return `127.0.${1 + Math.floor(index / 250)}.${1 + (index % 250)}`;
}

/** One connection to the room. */
export class RoomClient implements AsyncDisposable {
  readonly #socket: Socket;
  readonly #decoder = new TextDecoder();
  readonly #log = new LineLog();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on(
      "data",
      (chunk: Uint8Array) =>
        this.#log.add(this.#decoder.decode(chunk, { stream: true })),
    );
    // What came after the last line end is not a line.
    socket.on("close", () => this.#log.end({ keepPartial: false }));
    socket.on("error", () => {
      // A reset ends the connection like a close; "close" follows.
    });
  }

  /** Connects to `host:port` within `ms`. */
  static open(host: string, port: number, ms: number): Promise<RoomClient> {
    return new Promise((resolve, reject) => {
      const localAddress = host === "127.0.0.1"
        ? nextLoopbackSource()
        : undefined;
      const socket = connect({ host, port, localAddress });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(
            `could not connect to ${host}:${port} within ${ms / 1000} s`,
          ),
        );
      }, ms);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new RoomClient(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(
          new Error(`could not connect to ${host}:${port}: ${error.message}`, {
            cause: error,
          }),
        );
      });
    });
  }

  /** Every line received, without its line end. */
  get lines(): string[] {
    return this.#log.lines;
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.#log.ended;
  }

  /** Sends `line` and a `\n` (or raw bytes as they are). */
  send(line: string | Uint8Array): void {
    if (this.closed) return;
    this.#socket.write(typeof line === "string" ? line + "\n" : line);
  }

  /** Stops reading: the server's writes pile up, as with a frozen laptop. */
  stopReading(): void {
    this.#socket.pause();
  }

  /**
   * Waits up to `ms` for a line from index `from` on that satisfies `test`;
   * its index, or -1.
   */
  waitFor(
    test: (line: string) => boolean,
    ms: number,
    from = 0,
  ): Promise<number> {
    return this.#log.waitFor(test, ms, from);
  }

  /**
   * Waits for the welcome, sends `name`, and waits for `*** Hello NAME!`;
   * whether the room accepted it.
   */
  async join(name: string, ms: number): Promise<boolean> {
    if (await this.waitFor((line) => line.startsWith("***"), ms) < 0) {
      return false;
    }
    const from = this.lines.length;
    this.send(name);
    const hello = await this.waitFor(
      (line) =>
        line.startsWith(`*** Hello ${name}`) || line.startsWith("*** Error"),
      ms,
      from,
    );
    return hello >= 0 && this.lines[hello].startsWith("*** Hello");
  }

  /** Closes the connection at once. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.closed) {
      const closed = new Promise((resolve) =>
        this.#socket.once("close", resolve)
      );
      this.#socket.destroy();
      await closed;
    }
  }
}
