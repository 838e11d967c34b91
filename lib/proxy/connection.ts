/**
 * One proxied connection: a client's socket and the proxy's socket to the
 * server, a pump with its faults for each direction, the wire view, and how
 * both end together (a close passed on, a cut as a reset of both).
 *
 * @module
 */

import type { Socket } from "node:net";
import { WireView } from "../wire/wire_view.ts";
import { type Direction, DIRECTIONS } from "./faults.ts";
import { Pump, type PumpEnd } from "./pump.ts";
import { SeededRandom, streamSeed } from "./seeded_random.ts";
import type { FaultProxyOptions } from "./proxy.ts";

/** How long a cut waits between its last bytes and the reset. */
const CUT_GRACE_MS = 100;

/** How long a closing connection's sides get to finish before they are destroyed. */
const CLOSE_GRACE_MS = 2000;

/** One client's connection and its connection to the server. */
export class Connection {
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
