/**
 * The command lines of `server.ts` and `client.ts`, checked before anything
 * touches the network.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_KEEP, type Retention } from "../store/room_store.ts";
import { UsageError } from "./errors.ts";
import { ROOM_DEFAULTS } from "../room/defaults.ts";
import type { RoomOptions } from "../room/room.ts";

const D = ROOM_DEFAULTS;
import { isGranted, requirePermission } from "./permissions.ts";
import type { WireOption } from "./network.ts";

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
  /** The room's options, from their flags (the passphrase too, in a room). */
  room: RoomOptions;
  /** Serve TLS with this certificate and key. */
  tls?: { certFile: string; keyFile: string };
  /** The room's passphrase, if it has one (also in `room`). */
  password?: string;
  /** Also serve the chat page and a WebSocket on this port (`--web`). */
  web?: { port: number; origins: string[] };
  /** Show every read and write on stderr (`--wire`, `--wire=hex`). */
  wire?: WireOption;
  /** Put the local time in front of each incoming line (chat and room). */
  timestamps: boolean;
  /** Keep the room's history in this SQLite file (`--db`). */
  db?: string;
  /** How much history the file keeps (`--keep`). */
  keep: Retention;
  /** Print the help text and exit. */
  help: boolean;
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
  /** Show every read and write on stderr (`--wire`, `--wire=hex`). */
  wire?: WireOption;
  /** Put the local time in front of each incoming line (chat and room). */
  timestamps: boolean;
  /** Print the help text and exit. */
  help: boolean;
}

/** The environment variable that can hold a room passphrase, out of sight of `ps`. */
export const PASSWORD_VARIABLE = "CHATLAB_PASSWORD";

/** Where `server.ts` reads the moderator passphrase (`/op`) from. */
export const OP_PASSWORD_VARIABLE = "CHATLAB_OP_PASSWORD";

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
  --name NAME        your name in the room (default "${D.hostName}")
  --max-line-bytes N longest message in bytes (default ${D.maxLineBytes})
  --wire             show every read and write on stderr ("the wire view");
                     --wire=hex adds a hex column
  --timestamps       show the local time before each incoming line (chat, room)
  -h, --help         show this help

Room limits (each reached one gives that client a one-line reason):
  --max-unterminated-bytes N  bytes without a line end before dropping (default ${D.maxUnterminatedBytes})
  --max-queue-bytes N         bytes waiting for a slow reader before the room waits for it, or drops it if it stopped reading (default ${D.maxQueuedBytes})
  --max-clients N             clients at once (default ${D.maxClients})
  --max-per-address N         clients from one address at once (default ${D.maxClientsPerAddress})
  --rate-limit LINES,PER_SEC  lines at once, then lines per second (default ${D.rateLimit.burstLines},${D.rateLimit.linesPerSecond}; "off" to disable)
  --name-timeout SECONDS      time to choose a name (default ${
    D.nameTimeoutMs / 1000
  })
  --idle-timeout SECONDS      silence before a client is dropped (default ${
    D.idleTimeoutMs / 1000
  }; 0 = never)

Security:
  --tls-cert FILE    serve TLS with this certificate (PEM; needs --allow-read)
  --tls-key FILE     ... and this private key (PEM)
  --password TEXT    a room passphrase (visible in ps: prefer the environment
                     variable CHATLAB_PASSWORD, read with --allow-env=CHATLAB_PASSWORD)
  --password-file FILE  the passphrase is the first line of FILE (needs --allow-read)
  --op-password TEXT the moderator passphrase for /op (prefer the environment
                     variable CHATLAB_OP_PASSWORD)

In a browser:
  --web PORT         also serve the chat page and a WebSocket on PORT (same
                     room, same rules); open http://HOST:PORT/
  --web-origin URL   another page origin allowed to open the WebSocket
                     (repeatable; the page's own origin always is)

History:
  --db FILE          keep the room's history in this SQLite file, so it
                     survives a restart (needs --allow-read and --allow-write)
  --keep N[d]        how much the file keeps: N days (30d, the default) or the
                     last N messages (5000)`;

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
  --max-line-bytes N longest message in bytes (default ${D.maxLineBytes})
  --tls              connect with TLS
  --ca FILE          trust this certificate (PEM), e.g. a self-signed server's
  --password TEXT    the room's passphrase (visible in ps: prefer the
                     environment variable CHATLAB_PASSWORD)
  --wire             show every read and write on stderr ("the wire view");
                     --wire=hex adds a hex column
  --timestamps       show the local time before each incoming line (chat, room)
  -h, --help         show this help`;

const COMMON = {
  host: { type: "string" },
  port: { type: "string", short: "p" },
  mode: { type: "string", short: "m" },
  name: { type: "string" },
  "max-line-bytes": { type: "string" },
  wire: { type: "string" },
  timestamps: { type: "boolean" },
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
    "op-password": { type: "string" },
    db: { type: "string" },
    keep: { type: "string" },
    web: { type: "string" },
    "web-origin": { type: "string", multiple: true },
    "password-file": { type: "string" },
  });

  if (positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${positionals[0]}" (see --help)`,
    );
  }
  const mode = values.room ? "room" : parseMode(values.mode);
  if ((values.db ?? values.keep) !== undefined && mode !== "room") {
    throw new UsageError("--db and --keep only apply to a room (--room)");
  }
  if ((values.web ?? values["web-origin"]) !== undefined && mode !== "room") {
    throw new UsageError(
      "--web and --web-origin only apply to a room (--room)",
    );
  }
  if (values["web-origin"] !== undefined && values.web === undefined) {
    throw new UsageError("--web-origin needs --web PORT");
  }
  const certFile = values["tls-cert"];
  const keyFile = values["tls-key"];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError("TLS needs both --tls-cert FILE and --tls-key FILE");
  }
  const passwordFile = values["password-file"];
  if (values.password !== undefined && passwordFile !== undefined) {
    throw new UsageError("Give either --password or --password-file, not both");
  }
  if (
    (values.password !== undefined || passwordFile !== undefined) &&
    mode !== "room"
  ) {
    throw new UsageError(
      `${
        passwordFile !== undefined ? "--password-file" : "--password"
      } only applies to a room (--room)`,
    );
  }
  const help = values.help ?? false;
  const password = mode !== "room" || help ? undefined : values.password ??
    (passwordFile !== undefined
      ? readPasswordFile(passwordFile)
      : roomPasswordFromEnvironment());
  const opPassword = values["op-password"] ??
    passwordFromEnvironment(OP_PASSWORD_VARIABLE);
  if (values["op-password"] !== undefined && mode !== "room") {
    throw new UsageError("--op-password only applies to a room (--room)");
  }
  const name = values.name ?? D.hostName;
  const maxLineBytes = parseMaxLineBytes(values["max-line-bytes"]);
  return {
    host: parseHost(values.host ?? DEFAULT_HOST),
    port: parsePort(values.port ?? String(DEFAULT_PORT), { allowZero: true }),
    mode,
    name,
    maxLineBytes,
    room: {
      hostName: name,
      maxLineBytes,
      maxUnterminatedBytes: parseCount(
        values["max-unterminated-bytes"],
        "--max-unterminated-bytes",
        D.maxUnterminatedBytes,
        1,
      ),
      maxQueuedBytes: parseCount(
        values["max-queue-bytes"],
        "--max-queue-bytes",
        D.maxQueuedBytes,
        1,
      ),
      maxClients: parseCount(
        values["max-clients"],
        "--max-clients",
        D.maxClients,
        1,
      ),
      maxClientsPerAddress: parseCount(
        values["max-per-address"],
        "--max-per-address",
        D.maxClientsPerAddress,
        1,
      ),
      rateLimit: parseRateLimit(values["rate-limit"]),
      nameTimeoutMs: parseSeconds(
        values["name-timeout"],
        "--name-timeout",
        D.nameTimeoutMs,
        1,
      ),
      idleTimeoutMs: parseSeconds(
        values["idle-timeout"],
        "--idle-timeout",
        D.idleTimeoutMs,
        0,
      ),
      password: mode === "room" ? password : undefined,
      opPassword: mode === "room" ? opPassword : undefined,
    },
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    wire: parseWire(values.wire),
    timestamps: values.timestamps ?? false,
    db: values.db,
    keep: parseKeep(values.keep),
    web: values.web === undefined ? undefined : {
      port: parsePort(values.web, { allowZero: true }),
      origins: (values["web-origin"] ?? []).map(parseOrigin),
    },
    password,
    help,
  };
}

/** Reads `client.ts`'s arguments; throws {@linkcode UsageError} on a mistake. */
export function parseClientOptions(args: string[]): ClientOptions {
  const { values, positionals } = parseStrictly(args, {
    ...COMMON,
    tls: { type: "boolean" },
    ca: { type: "string" },
    password: { type: "string" },
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
    wire: parseWire(values.wire),
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
 * The passphrase in `variable` (`CHATLAB_PASSWORD` unless told), if this run
 * may read it (the tasks and shebangs grant `--allow-env` for it) and it is
 * set.
 */
function passwordFromEnvironment(
  variable: string = PASSWORD_VARIABLE,
): string | undefined {
  if (!isGranted({ name: "env", variable })) return undefined;
  return Deno.env.get(variable) || undefined;
}

/** An origin for `--web-origin`: `scheme://host[:port]`, nothing more. */
function parseOrigin(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.origin !== text) {
    throw new UsageError(
      `Invalid --web-origin "${text}": give an origin such as http://192.168.1.23:8080 (scheme, host and port, no path)`,
    );
  }
  return text;
}

/** `--keep 30d` (days) or `--keep 5000` (messages). */
function parseKeep(text: string | undefined): Retention {
  if (text === undefined) return DEFAULT_KEEP;
  const match = text.match(/^(\d+)(d?)$/);
  const n = Number(match?.[1]);
  if (!match || n < 1 || n > 1_000_000_000) {
    throw new UsageError(
      `Invalid --keep "${text}": use a number of days such as 30d, or of messages such as 5000`,
    );
  }
  return match[2] === "d" ? { days: n } : { rows: n };
}

/**
 * A room's passphrase from `CHATLAB_PASSWORD`. Fails closed: a run that may
 * not read the variable cannot tell whether one was meant, and starting an
 * open room when the teacher set a passphrase would be a silent security
 * hole, so it refuses to start instead.
 */
function roomPasswordFromEnvironment(): string | undefined {
  if (!isGranted({ name: "env", variable: PASSWORD_VARIABLE })) {
    throw new Error(
      `This run may not read ${PASSWORD_VARIABLE}, so a room passphrase set there would be ignored: add --allow-env=${PASSWORD_VARIABLE} to the deno run command (deno task server has it), or use --password-file FILE`,
    );
  }
  return Deno.env.get(PASSWORD_VARIABLE) || undefined;
}

/** The first line of `path`, refusing an unreadable or empty file. */
function readPasswordFile(path: string): string {
  requirePermission({ name: "read", path });
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(
      `Cannot read the passphrase file "${path}": ${reason}, so the room would be open to anyone: fix the file or its name`,
      { cause: error },
    );
  }
  const password = text.split(/\r?\n/)[0];
  if (password === "") {
    throw new Error(
      `The passphrase file "${path}" has an empty first line: write the passphrase on it`,
    );
  }
  return password;
}

/** `--wire` (the text view) or `--wire=hex` (with a hex column). */
function parseWire(text: string | undefined): WireOption | undefined {
  if (text === undefined) return undefined;
  if (text !== WIRE_TEXT && text !== "hex") {
    throw new UsageError(
      `Invalid --wire "${text}": use --wire, or --wire=hex for a hex column`,
    );
  }
  return { hex: text === "hex" };
}

/**
 * `--wire` takes no value, `--wire=hex` one: parseArgs has no optional
 * values, so a bare `--wire` (or `--wire hex`) is given its value here.
 */
function attachWireValue(args: string[]): string[] {
  const attached: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return [...attached, ...args.slice(i)];
    if (args[i] !== "--wire") attached.push(args[i]);
    else if (args[i + 1] === "hex") attached.push(`--wire=${args[++i]}`);
    else attached.push(`--wire=${WIRE_TEXT}`);
  }
  return attached;
}

/** The value a bare `--wire` gets. */
const WIRE_TEXT = "text";

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
  return parseCount(text, "--max-line-bytes", D.maxLineBytes, 1);
}

/** A flag given in whole seconds, as milliseconds. */
function parseSeconds(
  text: string | undefined,
  flag: string,
  fallbackMs: number,
  lowest: number,
): number {
  return parseCount(text, flag, fallbackMs / 1000, lowest) * 1000;
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
): RoomOptions["rateLimit"] {
  if (text === undefined) return { ...D.rateLimit };
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
      args: attachNegativeValues(attachWireValue(args), options),
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
