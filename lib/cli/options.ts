/**
 * The command lines of `server.ts` and `client.ts`, checked before anything
 * touches the network.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import { MAX_LINE_BYTES } from "../wire/line_splitter.ts";

/** The port both scripts use unless told otherwise. */
export const DEFAULT_PORT = 5555;

/** The address the server binds unless told otherwise: this computer only. */
export const DEFAULT_HOST = "127.0.0.1";

/** How the two sides talk. */
export type Mode = "turns" | "chat" | "room";

const MODES: readonly Mode[] = ["turns", "chat", "room"];

/** What `server.ts` was asked to do. */
export interface ServerOptions {
  /** Address to bind. */
  host: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** Take turns, chat freely with one client, or host a room. */
  mode: Mode;
  /** The server operator's name in a room. */
  name: string;
  /** The longest message accepted, in bytes. */
  maxLineBytes: number;
  /** Room limits, from their flags. */
  limits: RoomLimits;
  /** Serve TLS with this certificate and key. */
  tls?: { certFile: string; keyFile: string };
  /** The room's passphrase, if it has one. */
  password?: string;
  /** Put the local time in front of each incoming line (chat and room). */
  timestamps: boolean;
  /** Print the help text and exit. */
  help: boolean;
}

/** The room's limits (see the README's "Limits and security" table). */
export interface RoomLimits {
  /** Bytes a client may send without a line end before it is dropped. */
  maxUnterminatedBytes: number;
  /** Bytes that may wait for one client before it is dropped. */
  maxQueueBytes: number;
  /** Clients at once. */
  maxClients: number;
  /** Clients from one address at once. */
  maxPerAddress: number;
  /** Flood guard: lines at once and lines per second, or `null` for off. */
  rateLimit: { burstLines: number; linesPerSecond: number } | null;
  /** Seconds a new client has to choose a name. */
  nameTimeoutSeconds: number;
  /** Seconds of silence before a client is dropped; 0 for never. */
  idleTimeoutSeconds: number;
}

/** What `client.ts` was asked to do. */
export interface ClientOptions {
  /** Address or name of the server. */
  host: string;
  /** Port of the server. */
  port: number;
  /** Take turns, or chat freely (with one person or a room). */
  mode: Mode;
  /** Name to join a room with; implies room mode. */
  name?: string;
  /** The longest message accepted, in bytes. */
  maxLineBytes: number;
  /** Use TLS, trusting the certificates in `caFile` if given. */
  tls?: { caFile?: string };
  /** The room's passphrase, sent before the name. */
  password?: string;
  /** Put the local time in front of each incoming line (chat and room). */
  timestamps: boolean;
  /** Print the help text and exit. */
  help: boolean;
}

/** The environment variable that can hold a room passphrase, out of sight of `ps`. */
export const PASSWORD_VARIABLE = "CHATLAB_PASSWORD";

/** `server.ts --help`. */
export const SERVER_HELP =
  `Usage: server.ts [--host HOST] [--port PORT] [--mode turns|chat|room]

Waits for a client and chats with it (the lesson's server).

Options:
  --host HOST        address to listen on (default ${DEFAULT_HOST}: this computer
                     only; use 0.0.0.0 so other computers can connect)
  --port PORT        port to listen on, 0-65535 (default ${DEFAULT_PORT}; 0 picks a free one)
  --mode MODE        turns: take turns, client speaks first (default)
                     chat:  both sides send whenever they want
                     room:  many clients in one room (same as --room)
  --room             same as --mode room
  --name NAME        your name in the room (default "host")
  --max-line-bytes N longest message in bytes (default ${MAX_LINE_BYTES})
  --timestamps       show the local time before each incoming line (chat, room)
  -h, --help         show this help

Room limits (each reached one gives that client a one-line reason):
  --max-unterminated-bytes N  bytes without a line end before dropping (default 16384)
  --max-queue-bytes N         bytes waiting for a slow reader before dropping it (default 262144)
  --max-clients N             clients at once (default 100)
  --max-per-address N         clients from one address at once (default 10)
  --rate-limit LINES,PER_SEC  lines at once, then lines per second (default 40,5; "off" to disable)
  --name-timeout SECONDS      time to choose a name (default 60)
  --idle-timeout SECONDS      silence before a client is dropped (default 3600; 0 = never)

Security:
  --tls-cert FILE    serve TLS with this certificate (PEM; needs --allow-read)
  --tls-key FILE     ... and this private key (PEM)
  --password TEXT    a room passphrase (visible in ps: prefer the environment
                     variable CHATLAB_PASSWORD)`;

/** `client.ts --help`. */
export const CLIENT_HELP =
  `Usage: client.ts [--host HOST] [--port PORT] [--mode turns|chat] [--name NAME]
       client.ts HOST PORT

Connects to a chat server (the lesson's client).

Options:
  --host HOST        server address or name (default ${DEFAULT_HOST})
  --port PORT        server port, 1-65535 (default ${DEFAULT_PORT})
  --mode MODE        turns: take turns, you speak first (default)
                     chat:  send whenever you want
  --name NAME        join a room with this name (implies a room chat)
  --max-line-bytes N longest message in bytes (default ${MAX_LINE_BYTES})
  --tls              connect with TLS
  --ca FILE          trust this certificate (PEM), e.g. a self-signed server's
  --password TEXT    the room's passphrase (visible in ps: prefer the
                     environment variable CHATLAB_PASSWORD)
  --timestamps       show the local time before each incoming line (chat, room)
  -h, --help         show this help`;

const COMMON = {
  host: { type: "string" },
  port: { type: "string", short: "p" },
  mode: { type: "string", short: "m" },
  name: { type: "string" },
  "max-line-bytes": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Reads `server.ts`'s arguments; throws {@linkcode UsageError} on a mistake. */
export function parseServerOptions(args: string[]): ServerOptions {
  const { values, positionals } = parseStrictly(args, {
    ...COMMON,
    room: { type: "boolean" },
    "max-unterminated-bytes": { type: "string" },
    "max-queue-bytes": { type: "string" },
    "max-clients": { type: "string" },
    "max-per-address": { type: "string" },
    "rate-limit": { type: "string" },
    "name-timeout": { type: "string" },
    "idle-timeout": { type: "string" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    password: { type: "string" },
    timestamps: { type: "boolean" },
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${positionals[0]}" (see --help)`,
    );
  }
  const mode = values.room ? "room" : parseMode(values.mode);
  const certFile = values["tls-cert"];
  const keyFile = values["tls-key"];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError("TLS needs both --tls-cert FILE and --tls-key FILE");
  }
  const password = values.password ?? passwordFromEnvironment();
  if (values.password !== undefined && mode !== "room") {
    throw new UsageError("--password only applies to a room (--room)");
  }
  return {
    host: parseHost(values.host ?? DEFAULT_HOST),
    port: parsePort(values.port ?? String(DEFAULT_PORT), { allowZero: true }),
    mode,
    name: values.name ?? "host",
    maxLineBytes: parseMaxLineBytes(values["max-line-bytes"]),
    limits: {
      maxUnterminatedBytes: parseCount(
        values["max-unterminated-bytes"],
        "--max-unterminated-bytes",
        16384,
        1,
      ),
      maxQueueBytes: parseCount(
        values["max-queue-bytes"],
        "--max-queue-bytes",
        262144,
        1,
      ),
      maxClients: parseCount(values["max-clients"], "--max-clients", 100, 1),
      maxPerAddress: parseCount(
        values["max-per-address"],
        "--max-per-address",
        10,
        1,
      ),
      rateLimit: parseRateLimit(values["rate-limit"]),
      nameTimeoutSeconds: parseCount(
        values["name-timeout"],
        "--name-timeout",
        60,
        1,
      ),
      idleTimeoutSeconds: parseCount(
        values["idle-timeout"],
        "--idle-timeout",
        3600,
        0,
      ),
    },
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    password: mode === "room" ? password : undefined,
    timestamps: values.timestamps ?? false,
    help: values.help ?? false,
  };
}

/** Reads `client.ts`'s arguments; throws {@linkcode UsageError} on a mistake. */
export function parseClientOptions(args: string[]): ClientOptions {
  const { values, positionals } = parseStrictly(args, {
    ...COMMON,
    tls: { type: "boolean" },
    ca: { type: "string" },
    password: { type: "string" },
    timestamps: { type: "boolean" },
  });
  if (positionals.length > 2) {
    throw new UsageError(
      `Unexpected argument "${positionals[2]}" (see --help)`,
    );
  }
  const [hostArg, portArg] = positionals;
  if (hostArg !== undefined && values.host !== undefined) {
    throw new UsageError("Give the host either as HOST or as --host, not both");
  }
  if (portArg !== undefined && values.port !== undefined) {
    throw new UsageError("Give the port either as PORT or as --port, not both");
  }
  const mode = parseMode(values.mode);
  if (mode === "room") {
    throw new UsageError(
      "The client has no room mode: use --mode chat --name NAME to join a room",
    );
  }
  return {
    host: parseHost(hostArg ?? values.host ?? DEFAULT_HOST),
    port: parsePort(portArg ?? values.port ?? String(DEFAULT_PORT), {
      allowZero: false,
    }),
    mode: values.name !== undefined ? "chat" : mode,
    name: values.name,
    maxLineBytes: parseMaxLineBytes(values["max-line-bytes"]),
    tls: values.tls || values.ca !== undefined
      ? { caFile: values.ca }
      : undefined,
    password: values.password ?? passwordFromEnvironment(),
    timestamps: values.timestamps ?? false,
    help: values.help ?? false,
  };
}

/** Options for {@linkcode parsePort}. */
export interface ParsePortOptions {
  /**
   * Whether 0 ("pick a free port") is allowed.
   *
   * @default {false}
   */
  allowZero?: boolean;
}

/** Checks a port: digits only, 0 (when allowed) or 1 to 65535. */
export function parsePort(
  text: string,
  options: ParsePortOptions = {},
): number {
  const lowest = options.allowZero ? 0 : 1;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= lowest && port <= 65535)) {
    throw new UsageError(
      `Invalid port "${text}": use a whole number from ${lowest} to 65535`,
    );
  }
  return port;
}

/**
 * Checks a host. A name or IPv6 address passes as it is; something shaped
 * like an IPv4 address must be a real one (the lesson's own example,
 * "123.456.789.123", is not).
 */
export function parseHost(text: string): string {
  const host = text.startsWith("[") && text.endsWith("]")
    ? text.slice(1, -1)
    : text;
  if (host === "" || /\s/.test(host)) {
    throw new UsageError(`Invalid host "${text}": give a name or an address`);
  }
  if (/^[\d.]+$/.test(host)) {
    const parts = host.split(".");
    const bad = parts.length !== 4
      ? "it needs four numbers separated by dots"
      : parts.find((part) => part === "" || Number(part) > 255) !== undefined
      ? "each of its four numbers must be from 0 to 255"
      : null;
    if (bad) throw new UsageError(`Invalid IPv4 address "${text}": ${bad}`);
  }
  return host;
}

/**
 * The passphrase in `CHATLAB_PASSWORD`, if this run may read it (the tasks and
 * shebangs grant `--allow-env=CHATLAB_PASSWORD`) and it is set.
 */
function passwordFromEnvironment(): string | undefined {
  const permission = Deno.permissions.querySync({
    name: "env",
    variable: PASSWORD_VARIABLE,
  });
  if (permission.state !== "granted") return undefined;
  return Deno.env.get(PASSWORD_VARIABLE) || undefined;
}

function parseMode(text: string | undefined): Mode {
  if (text === undefined) return "turns";
  if (!(MODES as readonly string[]).includes(text)) {
    throw new UsageError(
      `Invalid mode "${text}": use one of ${MODES.join(", ")}`,
    );
  }
  return text as Mode;
}

function parseMaxLineBytes(text: string | undefined): number {
  return parseCount(text, "--max-line-bytes", MAX_LINE_BYTES, 1);
}

/** A whole number flag, `lowest` or more. */
function parseCount(
  text: string | undefined,
  flag: string,
  fallback: number,
  lowest: number,
): number {
  if (text === undefined) return fallback;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= lowest)) {
    throw new UsageError(
      `Invalid ${flag} "${text}": use a whole number, ${lowest} or more`,
    );
  }
  return value;
}

function parseRateLimit(
  text: string | undefined,
): RoomLimits["rateLimit"] {
  if (text === undefined) return { burstLines: 40, linesPerSecond: 5 };
  if (text === "off") return null;
  const match = text.match(/^(\d{1,6}),(\d{1,6})$/);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new UsageError(
      `Invalid --rate-limit "${text}": use LINES,PER_SECOND such as 40,5, or off`,
    );
  }
  return { burstLines: Number(match[1]), linesPerSecond: Number(match[2]) };
}

type OptionSpecs = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function parseStrictly<T extends OptionSpecs>(args: string[], options: T) {
  try {
    return parseArgs({
      args: attachNegativeValues(args, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(explainParseError(error));
  }
}

function explainParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (unknown) return `Unknown option "${unknown[1]}" (see --help)`;
  const missing = message.match(
    /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/,
  );
  if (missing) return `Option "${missing[1]}" needs a value (see --help)`;
  return `${message.split(".")[0]} (see --help)`;
}

/**
 * `--port -1` becomes `--port=-1` (and `-p -1`, `-p-1`): parseArgs calls a
 * value starting with "-" ambiguous, but a user who types a negative number
 * after an option means it as the value, which is then refused plainly.
 */
function attachNegativeValues(args: string[], options: OptionSpecs): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options ?? {})) {
    if (spec.type !== "string") continue;
    takesValue.add(`--${name}`);
    if (spec.short) takesValue.add(`-${spec.short}`);
  }
  const attached: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [arg, next] = [args[i], args[i + 1]];
    if (arg === "--") return [...attached, ...args.slice(i)];
    if (takesValue.has(arg) && next !== undefined && /^-\d/.test(next)) {
      attached.push(arg.startsWith("--") ? `${arg}=${next}` : arg + next);
      i++;
    } else {
      attached.push(arg);
    }
  }
  return attached;
}
