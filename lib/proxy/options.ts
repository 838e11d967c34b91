/**
 * The proxy's command line: where to listen, where to forward, and the
 * faults of each direction.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../cli/errors.ts";
import { parseHost, parsePort } from "../cli/options.ts";
import type { WireOption } from "../cli/network.ts";
import {
  type Direction,
  DIRECTIONS,
  type FaultPlan,
  type Faults,
} from "./faults.ts";

/** What the proxy was asked to do. */
export interface ProxyOptions {
  /** The address to listen on (default 127.0.0.1). */
  listenHost: string;
  /** The port to listen on; 0 picks a free one. */
  listenPort: number;
  /** The server's address. */
  toHost: string;
  /** The server's port. */
  toPort: number;
  /** The faults of each direction. */
  faults: FaultPlan;
  /** The seed of the random faults (jitter); chosen at random if not given. */
  seed?: number;
  /** Show what went in and what came out (`--wire`, `--wire=hex`). */
  wire?: WireOption;
  /** Print the help text and exit. */
  help: boolean;
}

/** `deno task proxy --help`. */
export const PROXY_HELP =
  `Usage: deno task proxy --listen [HOST:]PORT --to HOST:PORT [faults]

Forwards TCP connections to HOST:PORT, both ways, breaking the stream on
purpose: to see why a chat needs framing.

  --listen [HOST:]PORT  where clients connect (host 127.0.0.1 unless given;
                        port 0 picks a free one)
  --to HOST:PORT        the server to forward to

Faults (each for both directions, or for one: up:VALUE is client → server,
down:VALUE is server → client; give a flag twice to set both differently):
  --split N             deliver in pieces of N bytes, each its own write
                        (10 ms apart, so a waiting reader gets each alone)
  --merge MS            hold bytes MS milliseconds from the first, then
                        deliver them all in one write
  --delay MS            deliver each piece MS milliseconds late
  --jitter MS           ... plus a random 0 to MS milliseconds (order kept)
  --rate BYTES          at most BYTES bytes per second
  --cut-after BYTES     after BYTES bytes, reset the connection (both sides)
  --half-close[=up|down] an end (FIN) from one side ends only that direction,
                        the other staying open; --cut-after then sends an end
                        in that direction instead of a reset

  --seed N              repeat the random faults (jitter) of an earlier run
  --wire                show every read and write (what went in, what came
                        out) on stderr; --wire=hex adds a hex column
  -h, --help            show this help

Faults apply in this order: merge, split, delay and jitter, rate, cut.`;

const FAULT_FLAGS = {
  split: "split",
  merge: "merge",
  delay: "delay",
  jitter: "jitter",
  rate: "rate",
  "cut-after": "cutAfter",
} as const satisfies Record<string, keyof Faults>;

/** The lowest value of each fault (0 ms is no delay; 0 bytes makes no sense). */
const LOWEST: Record<keyof typeof FAULT_FLAGS, number> = {
  split: 1,
  merge: 1,
  delay: 0,
  jitter: 0,
  rate: 1,
  "cut-after": 0,
};

/** Reads the proxy's arguments; throws {@linkcode UsageError} on a mistake. */
export function parseProxyOptions(args: string[]): ProxyOptions {
  const options = {
    listen: { type: "string" },
    to: { type: "string" },
    seed: { type: "string" },
    wire: { type: "string" },
    "half-close": { type: "string" },
    help: { type: "boolean", short: "h" },
    ...Object.fromEntries(
      Object.keys(FAULT_FLAGS).map((flag) => [flag, {
        type: "string",
        multiple: true,
      }]),
    ),
  } as const;
  let parsed;
  try {
    parsed = parseArgs({
      args: attachBareValues(args),
      options: options as Parameters<typeof parseArgs>[0] extends infer T
        ? T extends { options?: infer O } ? O : never
        : never,
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = message.match(/Unknown option '([^']+)'/);
    throw new UsageError(
      unknown
        ? `Unknown option "${unknown[1]}" (see --help)`
        : `${message.split(".")[0]} (see --help)`,
    );
  }
  const values = parsed.values as Record<string, unknown>;
  const help = values.help === true;
  if (help) {
    return {
      listenHost: "",
      listenPort: 0,
      toHost: "",
      toPort: 0,
      faults: { up: {}, down: {} },
      help,
    };
  }
  if (typeof values.listen !== "string") {
    throw new UsageError(
      "Give --listen PORT, where clients connect (see --help)",
    );
  }
  if (typeof values.to !== "string") {
    throw new UsageError(
      "Give --to HOST:PORT, the server to forward to (see --help)",
    );
  }
  const listen = splitAddress(values.listen, "--listen", true);
  const to = splitAddress(values.to, "--to", false);
  if (to.host === undefined) {
    throw new UsageError(
      `Invalid --to "${values.to}": give HOST:PORT, such as 127.0.0.1:5555`,
    );
  }
  const faults: FaultPlan = { up: {}, down: {} };
  for (const [flag, key] of Object.entries(FAULT_FLAGS)) {
    for (const text of (values[flag] as string[] | undefined) ?? []) {
      const { directions, value } = splitDirection(text, `--${flag}`);
      const number = parseWhole(
        value,
        `--${flag}`,
        text,
        LOWEST[flag as keyof typeof FAULT_FLAGS],
      );
      for (const direction of directions) faults[direction][key] = number;
    }
  }
  const halfClose = values["half-close"] as string | undefined;
  if (halfClose !== undefined) {
    const directions = halfClose === BARE
      ? DIRECTIONS
      : parseDirections(halfClose, "--half-close", halfClose);
    for (const direction of directions) faults[direction].halfClose = true;
  }
  const seed = values.seed as string | undefined;
  const wire = values.wire as string | undefined;
  if (wire !== undefined && wire !== BARE && wire !== "hex") {
    throw new UsageError(
      `Invalid --wire "${wire}": use --wire, or --wire=hex for a hex column`,
    );
  }
  return {
    listenHost: listen.host ?? "127.0.0.1",
    listenPort: listen.port,
    toHost: to.host,
    toPort: to.port,
    faults,
    seed: seed === undefined ? undefined : parseWhole(seed, "--seed", seed, 0),
    wire: wire === undefined ? undefined : { hex: wire === "hex" },
    help,
  };
}

/** The value a flag given without one gets (`--wire`, `--half-close`). */
const BARE = "both";

/** `--wire` and `--half-close` may come without a value (parseArgs has no optional values). */
function attachBareValues(args: string[]): string[] {
  return args.map((arg, i) => {
    if (arg !== "--wire" && arg !== "--half-close") return arg;
    const next = args[i + 1];
    const takesNext = arg === "--wire"
      ? next === "hex"
      : next === "up" || next === "down";
    return takesNext ? arg : `${arg}=${BARE}`;
  });
}

/** `up:3` → up, 3; `3` → both, 3. */
function splitDirection(
  text: string,
  flag: string,
): { directions: readonly Direction[]; value: string } {
  const match = text.match(/^(\w+):(.*)$/);
  if (!match) return { directions: DIRECTIONS, value: text };
  return { directions: parseDirections(match[1], flag, text), value: match[2] };
}

function parseDirections(
  word: string,
  flag: string,
  text: string,
): readonly Direction[] {
  if (word === "up" || word === "down") return [word];
  throw new UsageError(
    `Invalid ${flag} "${text}": the direction is up (client → server) or down (server → client)`,
  );
}

function parseWhole(
  value: string,
  flag: string,
  text: string,
  lowest: number,
): number {
  const number = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(number >= lowest)) {
    throw new UsageError(
      `Invalid ${flag} "${text}": use a whole number, ${lowest} or more`,
    );
  }
  return number;
}

/** `5555`, `127.0.0.1:5555`, `[::1]:5555`. */
function splitAddress(
  text: string,
  flag: string,
  allowZero: boolean,
): { host?: string; port: number } {
  const match = text.match(/^(?:(\[[^\]]+\]|[^:]+):)?([^:]+)$/);
  if (!match) {
    throw new UsageError(
      `Invalid ${flag} "${text}": give [HOST:]PORT, such as 127.0.0.1:5555`,
    );
  }
  return {
    host: match[1] === undefined ? undefined : parseHost(match[1]),
    port: parsePort(match[2], { allowZero }),
  };
}
