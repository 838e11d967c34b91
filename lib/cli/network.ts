/**
 * Opening connections and listeners, plain or TLS, with failures explained
 * in one line.
 *
 * @module
 */

import { checkServerCertificate } from "./certificate.ts";
import { describeNetworkError, formatAddress } from "./errors.ts";
import { isGranted, requirePermission } from "./permissions.ts";
import { within } from "../wire/within.ts";
import { WatchedConn, WatchedListener } from "../wire/watched_conn.ts";
import { wireColor, WireView } from "../wire/wire_view.ts";

/** `--wire`: show every read and write on stderr, with a hex column or not. */
export interface WireOption {
  /** Add the hex column (`--wire=hex`). */
  hex: boolean;
}

/** How long the client waits for a server that does not answer at all. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Options for {@linkcode connectTo}. */
export interface ConnectOptions {
  /**
   * Use TLS. `caFile` names a PEM file of certificates to trust (for a
   * self-signed server); without it, the usual public roots are trusted.
   *
   * @default {undefined (plain TCP)}
   */
  tls?: { caFile?: string };
  /**
   * Show every read and write on stderr (`--wire`).
   *
   * @default {undefined (not shown)}
   */
  wire?: WireOption;
}

/** Options for {@linkcode listenOn}. */
export interface ListenOptions {
  /**
   * Serve TLS with this certificate and key (PEM files).
   *
   * @default {undefined (plain TCP)}
   */
  tls?: { certFile: string; keyFile: string };
  /**
   * Show every read and write of every accepted connection on stderr
   * (`--wire`), each line starting with the client's address.
   *
   * @default {undefined (not shown)}
   */
  wire?: WireOption;
}

/** Connects to `host:port` with Nagle's delay turned off. */
export async function connectTo(
  host: string,
  port: number,
  options: ConnectOptions = {},
): Promise<Deno.Conn> {
  requirePermission({ name: "net", host: formatAddress(host, port) });
  const caCerts = options.tls?.caFile
    ? [readPem(options.tls.caFile, "CA certificate")]
    : undefined;
  try {
    const connecting: Promise<Deno.Conn> = options.tls
      ? connectWithTls(host, port, caCerts)
      : Deno.connect({ hostname: host, port });
    const conn = await within(connecting, CONNECT_TIMEOUT_MS);
    if (conn === null) throw new Deno.errors.TimedOut("Connection timed out");
    setNoDelay(conn);
    return options.wire
      ? new WatchedConn(
        conn,
        new WireView({ ...options.wire, color: wireColor() }),
      )
      : conn;
  } catch (error) {
    throw new Error(
      describeNetworkError(error, {
        action: "connect",
        host,
        port,
        caFile: options.tls?.caFile,
      }),
      { cause: error },
    );
  }
}

/** Listens on `host:port` (port 0 picks a free one). */
export function listenOn(
  host: string,
  port: number,
  options: ListenOptions = {},
): Deno.Listener<Deno.Conn, Deno.NetAddr> {
  requirePermission({ name: "net", host: formatAddress(host, port) });
  const tls = options.tls && {
    cert: readPem(options.tls.certFile, "certificate"),
    key: readPem(options.tls.keyFile, "private key"),
  };
  if (tls) checkServerCertificate(tls.cert, options.tls!.certFile);
  let listener: Deno.Listener<Deno.Conn, Deno.NetAddr>;
  try {
    listener = tls
      ? Deno.listenTls({ hostname: host, port, ...tls })
      : Deno.listen({ hostname: host, port });
  } catch (error) {
    throw new Error(
      describeNetworkError(error, { action: "listen", host, port }),
      { cause: error },
    );
  }
  const wire = options.wire;
  if (!wire) return listener;
  return new WatchedListener(listener, (conn) => {
    const { hostname, port } = conn.remoteAddr as Deno.NetAddr;
    return new WireView({
      ...wire,
      color: wireColor(),
      prefix: `${formatAddress(hostname, port)} `,
    });
  });
}

/** Turns off Nagle's algorithm, which would hold small lines back ~40 ms. */
export function setNoDelay(conn: Deno.Conn): void {
  if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") {
    conn.setNoDelay(true);
  }
}

/** Connects and finishes the TLS handshake, so certificate errors show now. */
async function connectWithTls(
  host: string,
  port: number,
  caCerts: string[] | undefined,
): Promise<Deno.TlsConn> {
  const conn = await Deno.connectTls({ hostname: host, port, caCerts });
  try {
    await conn.handshake();
  } catch (error) {
    conn.close();
    throw error;
  }
  return conn;
}

/** Reads a PEM file, explaining a missing or unreadable one in one line. */
function readPem(path: string, what: string): string {
  requirePermission({ name: "read", path });
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(`Cannot read the ${what} file "${path}": ${reason}`);
  }
}

/**
 * This computer's IPv4 addresses that other computers can use (not loopback,
 * not link-local), or `null` when this run may not list them
 * (`--allow-sys=networkInterfaces`). Never prompts.
 */
export function lanAddresses(): string[] | null {
  if (!isGranted({ name: "sys", kind: "networkInterfaces" })) return null;
  const addresses = Deno.networkInterfaces()
    .filter(({ family, address }) =>
      family === "IPv4" && !address.startsWith("127.") &&
      !address.startsWith("169.254.")
    )
    .map(({ address }) => address);
  return [...new Set(addresses)];
}
