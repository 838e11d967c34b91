/**
 * The fault-injecting proxy: accepts TCP connections, connects each to the
 * server, and pumps bytes both ways with each direction's faults.
 *
 * @module
 */

import net, { type Socket } from "node:net";
import { formatAddress } from "../cli/errors.ts";
import { WireView, type WireViewOptions } from "../wire/wire_view.ts";
import { type Direction, DIRECTIONS, type FaultPlan } from "./faults.ts";
import { Pump, type PumpEnd } from "./pump.ts";
import { SeededRandom, streamSeed } from "./seeded_random.ts";

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

/** How long a cut waits between its last bytes and the reset. */
const CUT_GRACE_MS = 100;

/** How long a closing connection's sides get to finish before they are destroyed. */
const CLOSE_GRACE_MS = 2000;

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

/** One client's connection and its connection to the server. */
class Connection {
  readonly #id: number;
  readonly #sockets: Record<Direction, { source: Socket; destination: Socket }>;
  readonly #options: FaultProxyOptions;
  readonly #pumps: Record<Direction, Pump>;
  readonly #views: { client?: WireView; server?: WireView };
  readonly #endedDirections = new Set<Direction>();
  #closing = false;

  constructor(
    id: number,
    client: Socket,
    server: Socket,
    options: FaultProxyOptions,
  ) {
    this.#id = id;
    this.#options = options;
    this.#sockets = {
      up: { source: client, destination: server },
      down: { source: server, destination: client },
    };
    const wire = options.wire;
    this.#views = wire
      ? {
        client: new WireView({ ...wire, prefix: `#${id} client ` }),
        server: new WireView({ ...wire, prefix: `#${id} server ` }),
      }
      : {};
    const faults = options.faults ?? { up: {}, down: {} };
    const pump = (direction: Direction) => {
      const [readView, writeView] = direction === "up"
        ? [this.#views.client, this.#views.server]
        : [this.#views.server, this.#views.client];
      const tap = options.tap;
      return new Pump(
        this.#sockets[direction].source,
        this.#sockets[direction].destination,
        {
          faults: faults[direction],
          random: new SeededRandom(
            streamSeed(options.seed ?? 0, id, direction),
          ),
          onRead: (bytes) => {
            readView?.read(bytes);
            tap?.({ connection: id, direction, kind: "read", bytes });
          },
          onWrite: (bytes) => {
            writeView?.wrote(bytes);
            tap?.({ connection: id, direction, kind: "write", bytes });
          },
        },
      );
    };
    this.#pumps = { up: pump("up"), down: pump("down") };
  }

  /** Pumps both ways until both sides are closed. */
  async run(): Promise<void> {
    const closed = DIRECTIONS.map((direction) =>
      new Promise<void>((resolve) =>
        this.#sockets[direction].source.once("close", () => resolve())
      )
    );
    for (const direction of DIRECTIONS) {
      this.#sockets[direction].source.resume();
    }
    await Promise.all(
      DIRECTIONS.map(async (direction) =>
        this.#ended(direction, await this.#pumps[direction].run())
      ),
    );
    await Promise.all(closed);
    const { up, down } = this.#pumps;
    this.#options.log?.(
      `#${this.#id} closed: ${up.delivered} bytes up, ${down.delivered} bytes down`,
    );
  }

  #ended(direction: Direction, end: PumpEnd): void {
    const faults = this.#options.faults?.[direction] ?? {};
    const { source, destination } = this.#sockets[direction];
    const [from, to] = direction === "up"
      ? ["client", "server"]
      : ["server", "client"];
    const other = this.#pumps[direction === "up" ? "down" : "up"];
    const log = (text: string) => this.#options.log?.(`#${this.#id} ${text}`);
    if (end === "stopped") return;
    if (end === "failed") {
      log(
        `the ${from} reset the connection or went away: resetting the ${to}'s too`,
      );
      other.stop();
      this.#view(to)?.event("reset");
      resetBoth(source, destination);
      return;
    }
    if (end === "cut" && !faults.halfClose) {
      log(`cut after ${faults.cutAfter} bytes ${direction}: reset both sides`);
      other.stop();
      // A reset throws away what the receiver has not read yet: give it a
      // moment to read the bytes before the cut.
      setTimeout(() => {
        this.#view("client")?.event("reset", "cut by the proxy");
        this.#view("server")?.event("reset", "cut by the proxy");
        resetBoth(source, destination);
      }, CUT_GRACE_MS);
      return;
    }
    if (this.#closing) {
      // The other side closed first; what was on its way here is delivered.
    } else if (faults.halfClose) {
      // An end of this direction only; the other goes on until it ends too.
      log(
        end === "cut"
          ? `cut after ${faults.cutAfter} bytes ${direction}: ended that direction (half-close)`
          : `the ${from} ended its sending: passed on to the ${to} (half-close)`,
      );
      if (end === "cut") this.#pumps[direction].drain();
    } else {
      // Either side closing closes both: the other direction delivers what
      // it already has, then ends too.
      this.#closing = true;
      log(`the ${from} closed: closing the ${to}'s side too`);
      other.drain();
    }
    this.#view(to)?.event("closed writing");
    destination.end();
    this.#endedDirections.add(direction);
    if (this.#endedDirections.size === DIRECTIONS.length) {
      destroyLater(source, destination);
    }
  }

  #view(side: string): WireView | undefined {
    return side === "client" ? this.#views.client : this.#views.server;
  }
}

/** Destroys both sockets if they are not closed in time (both ends were sent). */
function destroyLater(a: Socket, b: Socket): void {
  for (const socket of [a, b]) {
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    socket.once("close", () => clearTimeout(timer));
  }
}

/** Resets both connections (RST), as a network that drops them does. */
function resetBoth(a: Socket, b: Socket): void {
  for (const socket of [a, b]) {
    if (!socket.destroyed) socket.resetAndDestroy();
  }
}
