/**
 * The checker's command line: which program, which side it plays, and how
 * to report.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../cli/errors.ts";
import { DEFAULT_HOST, parseHost, parsePort } from "../cli/options.ts";

/** What `deno task check` was asked to do. */
export interface CheckOptions {
  /** The program's side: the checker plays the other. */
  role: "server" | "client";
  /** `turns` (the lesson's programs) or `room` (PROTOCOL.md's room). */
  mode: "turns" | "room";
  /** The shell command that starts the program, if the checker starts it. */
  command?: string;
  /** A server already running (`--server HOST:PORT`). */
  address?: { host: string; port: number };
  /** The address the program should use. */
  host: string;
  /** The program's fixed port, when its command has no `{port}`. */
  port?: number;
  /** Print JSON instead of the report card. */
  json: boolean;
  /** Show what was sent and what came back for passing checks too. */
  verbose: boolean;
  /** Only these check ids (all when empty). */
  only: string[];
  /** Seconds to wait for each reaction a check expects. */
  waitSeconds: number;
  /** Seconds one check may take in all. */
  timeLimitSeconds: number;
  /** Print the help text and exit. */
  help: boolean;
}

/** What `deno task check --help` prints. */
export const CHECK_HELP =
  `Checks a student's chat program and prints a report card.

Usage:
  deno task check --server-cmd 'python3 server.py {port}'   start a server and check it
  deno task check --client-cmd 'python3 client.py {host} {port}'
                                                            check a client (the checker is its server)
  deno task check --server HOST:PORT                        a server that is already running

Options:
  --mode turns|room   turns: the lesson's take-turns programs (default);
                      room: a server that claims to follow PROTOCOL.md
  --host HOST         the address the program should use (default ${DEFAULT_HOST})
  --port PORT         the program's port, when its command has no {port}
                      (a started server may also print "Listening on ... PORT")
  --only ID,ID        run only these checks
  --json              one JSON document instead of the report card
  -v, --verbose       also show what was sent and came back for each pass
  --wait SECONDS      how long to wait for each expected reaction (default 2)
  --time-limit SECONDS  the most one check may take (default 10)
  -h, --help          this help

{host} and {port} in a command are replaced by the address and a free port.
Exit code: 0 when every applicable check passed, 1 when one failed, 2 for a
mistake in the command line.`;

/** Reads the checker's arguments; throws {@linkcode UsageError} on a mistake. */
export function parseCheckOptions(args: string[]): CheckOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        server: { type: "string" },
        "server-cmd": { type: "string" },
        "client-cmd": { type: "string" },
        mode: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        only: { type: "string" },
        json: { type: "boolean", default: false },
        verbose: { type: "boolean", short: "v", default: false },
        wait: { type: "string" },
        "time-limit": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
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
  const values = parsed.values;
  const base = {
    json: values.json,
    verbose: values.verbose,
    help: values.help,
    host: parseHost(values.host ?? DEFAULT_HOST),
    port: values.port === undefined ? undefined : parsePort(values.port),
    only: values.only ? values.only.split(",").map((id) => id.trim()) : [],
    waitSeconds: parseSeconds(values.wait, "--wait", 2),
    timeLimitSeconds: parseSeconds(values["time-limit"], "--time-limit", 10),
    mode: parseCheckMode(values.mode),
  };
  if (values.help) return { ...base, role: "server" };
  const given = ["server", "server-cmd", "client-cmd"].filter((name) =>
    values[name as "server"] !== undefined
  );
  if (given.length !== 1) {
    throw new UsageError(
      "Give exactly one of --server HOST:PORT, --server-cmd COMMAND or --client-cmd COMMAND (see --help)",
    );
  }
  if (values["client-cmd"] !== undefined) {
    if (base.mode === "room") {
      throw new UsageError(
        "--mode room checks servers only: use --server or --server-cmd",
      );
    }
    const command = values["client-cmd"];
    if (!command.includes("{port}") && base.port === undefined) {
      throw new UsageError(
        "The checker listens for the client: write {port} in --client-cmd where the client takes its port, or give the client's fixed port with --port",
      );
    }
    return { ...base, role: "client", command };
  }
  if (values["server-cmd"] !== undefined) {
    return { ...base, role: "server", command: values["server-cmd"] };
  }
  return { ...base, role: "server", address: parseAddress(values.server!) };
}

function parseAddress(text: string): { host: string; port: number } {
  const match = text.match(/^\[?(.+?)\]?:(\d+)$/);
  if (!match) {
    throw new UsageError(
      `Invalid --server "${text}": use HOST:PORT, such as 127.0.0.1:5555`,
    );
  }
  return { host: parseHost(match[1]), port: parsePort(match[2]) };
}

function parseCheckMode(text: string | undefined): "turns" | "room" {
  if (text === undefined) return "turns";
  if (text !== "turns" && text !== "room") {
    throw new UsageError(`Invalid mode "${text}": use turns or room`);
  }
  return text;
}

function parseSeconds(
  text: string | undefined,
  flag: string,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value > 0 && value <= 600)) {
    throw new UsageError(
      `Invalid ${flag} "${text}": use a number of seconds from 0.1 to 600`,
    );
  }
  return value;
}
