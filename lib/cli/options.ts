/**
 * The command lines of `server.ts` and `client.ts`, checked before anything
 * touches the network.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { ROOM_DEFAULTS } from "../room/defaults.ts";
import type { Retention } from "../store/room_store.ts";
import type { RoomOptions } from "../room/room.ts";
import type { WireOption } from "./network.ts";
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  type Mode,
  parseCount,
  parseHost,
  parseKeep,
  parseMaxLineBytes,
  parseMode,
  parseOrigin,
  parsePort,
  parseRateLimit,
  parseSeconds,
  parseWire,
} from "./option_values.ts";
import { parseStrictly } from "./parse_strictly.ts";
import {
  OP_PASSWORD_VARIABLE,
  passwordFromEnvironment,
  readPasswordFile,
  roomPasswordFromEnvironment,
} from "./passwords.ts";

export { CLIENT_HELP, SERVER_HELP } from "./help.ts";
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  type Mode,
  parseHost,
  parsePort,
  type ParsePortOptions,
} from "./option_values.ts";
export { OP_PASSWORD_VARIABLE, PASSWORD_VARIABLE } from "./passwords.ts";

const D = ROOM_DEFAULTS;

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
