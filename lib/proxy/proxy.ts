/**
 * The fault-injecting proxy: accepts TCP connections, connects each to the
 * server, and pumps bytes both ways with each direction's faults.
 *
 * @module
 */

import net, { type Socket } from "node:net";
import { formatAddress } from "../cli/errors.ts";
import type { WireViewOptions } from "../wire/wire_view.ts";
import type { Direction, FaultPlan } from "./faults.ts";
import { Connection } from "./connection.ts";

/** What a {@linkcode FaultProxy} saw, for tests: a read or a write of one direction. */
export interface TapEvent {
  /** The connection's number, from 1. */
  connection: number;
  /** The direction. */
  direction: Direction;
  /** `read` from the source, or `write` to the destination. */
  kind: "read" | "write";
  /** The bytes. */
  bytes: Uint8Array;
}

/** Options for {@linkcode FaultProxy.start}. */
export interface FaultProxyOptions {
  /**
   * The address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  listenHost?: string;
  /**
   * The port to listen on.
   *
   * @default {0 (a free port)}
   */
  listenPort?: number;
  /** The server's address. */
  toHost: string;
  /** The server's port. */
  toPort: number;
  /**
   * The faults of each direction.
   *
   * @default {none}
   */
  faults?: FaultPlan;
  /**
   * The seed of the random faults.
   *
   * @default {0}
   */
  seed?: number;
  /**
   * Show every read and write (the wire view), each line naming the
   * connection and the side.
   *
   * @default {undefined (not shown)}
   */
  wire?: WireViewOptions;
  /**
   * Where connection events go (`#1 connected from ...`).
   *
   * @default {nowhere}
   */
  log?: (line: string) => void;
  /** Called with every read and write, for tests. */
  tap?: (event: TapEvent) => void;
}

/** A running proxy. */
export class FaultProxy implements AsyncDisposable {
  readonly #server: net.Server;
  readonly #options: FaultProxyOptions;
  readonly #open = new Set<Promise<void>>();
  readonly #sockets = new Set<Socket>();
  #count = 0;

  private constructor(server: net.Server, options: FaultProxyOptions) {
    this.#server = server;
    this.#options = options;
  }

  /** Starts listening; resolves once clients can connect. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = net.createServer({
      allowHalfOpen: true,
      pauseOnConnect: true,
    });
    const proxy = new FaultProxy(server, options);
    server.on("connection", (client) => {
      const done = proxy.#serve(client);
      proxy.#open.add(done);
      done.finally(() => proxy.#open.delete(done));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(
        options.listenPort ?? 0,
        options.listenHost ?? "127.0.0.1",
        () => {
          server.off("error", reject);
          resolve();
        },
      );
    });
    return proxy;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** How many connections it has taken so far. */
  get connections(): number {
    return this.#count;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    // Node's close waits for open connections: end them first.
    const closed = new Promise<void>((resolve) =>
      this.#server.close(() => resolve())
    );
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    await Promise.all(this.#open);
  }

  /** Closes it (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #serve(client: Socket): Promise<void> {
    const id = ++this.#count;
    const { toHost, toPort, log = () => {} } = this.#options;
    const from = formatAddress(
      client.remoteAddress ?? "?",
      client.remotePort ?? 0,
    );
    this.#track(client);
    client.on("error", () => {}); // reported by the pumps
    const server = net.connect({
      host: toHost,
      port: toPort,
      allowHalfOpen: true,
    });
    this.#track(server);
    const connected = await new Promise<Error | null>((resolve) => {
      server.once("connect", () => resolve(null));
      server.once("error", (error) => resolve(error));
    });
    if (connected) {
      log(
        `#${id} from ${from}: cannot reach ${
          formatAddress(toHost, toPort)
        } (${connected.message}); closing the client's connection`,
      );
      client.destroy();
      return;
    }
    server.on("error", () => {});
    client.setNoDelay(true);
    server.setNoDelay(true);
    log(`#${id} connected from ${from}`);
    await new Connection(id, client, server, this.#options).run();
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  }
}
