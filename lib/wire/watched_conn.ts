/**
 * A connection whose every `read()` and `write()` is shown on a
 * {@linkcode WireView} as it happens (`--wire`). The bytes pass through
 * untouched: it only watches.
 *
 * @module
 */

import type { WireView } from "./wire_view.ts";

/** Wraps `conn` so that `view` shows each read and write. */
export class WatchedConn implements Deno.Conn {
  readonly #conn: Deno.Conn;
  readonly #view: WireView;
  #readable?: ReadableStream<Uint8Array<ArrayBuffer>>;
  #writable?: WritableStream<Uint8Array<ArrayBufferLike>>;
  #closed = false;

  /** Watches `conn`; it is used, and closed, through this wrapper. */
  constructor(conn: Deno.Conn, view: WireView) {
    this.#conn = conn;
    this.#view = view;
  }

  /** The local address. */
  get localAddr(): Deno.Addr {
    return this.#conn.localAddr;
  }

  /** The remote address. */
  get remoteAddr(): Deno.Addr {
    return this.#conn.remoteAddr;
  }

  /** Reads into `p`, showing the bytes read (or the end). */
  async read(p: Uint8Array): Promise<number | null> {
    let count: number | null;
    try {
      count = await this.#conn.read(p);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) {
        this.#view.event("reset", "read failed");
      }
      throw error;
    }
    if (count === null) this.#view.event("end");
    else this.#view.read(p.subarray(0, count));
    return count;
  }

  /** Writes some of `p`, showing the bytes written. */
  async write(p: Uint8Array): Promise<number> {
    const count = await this.#conn.write(p);
    this.#view.wrote(p.subarray(0, count));
    return count;
  }

  /** Sends the end of the stream; reading goes on. */
  async closeWrite(): Promise<void> {
    await this.#conn.closeWrite();
    this.#view.event("closed writing");
  }

  /** Closes the connection. */
  close(): void {
    this.#conn.close();
    if (!this.#closed) this.#view.event("closed");
    this.#closed = true;
  }

  /** Turns Nagle's algorithm off or on, when the connection has it (TCP). */
  setNoDelay(noDelay?: boolean): void {
    const conn = this.#conn as Partial<Deno.TcpConn>;
    conn.setNoDelay?.(noDelay);
  }

  /** Keeps the process alive while the connection is open. */
  ref(): void {
    this.#conn.ref();
  }

  /** Lets the process exit with the connection open. */
  unref(): void {
    this.#conn.unref();
  }

  /** The bytes read, through {@linkcode read} so that they are shown. */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#readable ??= new ReadableStream({
      type: "bytes",
      pull: async (controller) => {
        const buffer = new Uint8Array(16 * 1024);
        const count = await this.read(buffer);
        if (count === null) {
          controller.close();
          controller.byobRequest?.respond(0);
        } else controller.enqueue(buffer.subarray(0, count));
      },
    });
  }

  /** Bytes to write, through {@linkcode write} so that they are shown. */
  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    return this.#writable ??= new WritableStream({
      write: async (chunk) => {
        for (let done = 0; done < chunk.length;) {
          done += await this.write(chunk.subarray(done));
        }
      },
      close: () => this.closeWrite(),
    });
  }

  /** Closes the connection (`using`). */
  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}

/** A listener whose accepted connections are {@linkcode WatchedConn}s. */
export class WatchedListener implements Deno.Listener<Deno.Conn, Deno.NetAddr> {
  readonly #listener: Deno.Listener<Deno.Conn, Deno.NetAddr>;
  readonly #viewFor: (conn: Deno.Conn) => WireView;

  /** Watches every connection `listener` accepts, each on its own view. */
  constructor(
    listener: Deno.Listener<Deno.Conn, Deno.NetAddr>,
    viewFor: (conn: Deno.Conn) => WireView,
  ) {
    this.#listener = listener;
    this.#viewFor = viewFor;
  }

  /** The address listened on. */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /** Waits for a connection and watches it. */
  async accept(): Promise<Deno.Conn> {
    const conn = await this.#listener.accept();
    return new WatchedConn(conn, this.#viewFor(conn));
  }

  /** Stops listening. */
  close(): void {
    this.#listener.close();
  }

  /** Keeps the process alive while listening. */
  ref(): void {
    this.#listener.ref();
  }

  /** Lets the process exit while listening. */
  unref(): void {
    this.#listener.unref();
  }

  /** Connections as they come, until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Deno.Conn> {
    while (true) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) return;
        throw error;
      }
    }
  }

  /** Stops listening (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
