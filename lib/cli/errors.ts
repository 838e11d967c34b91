/**
 * Turns failures into one clear line and an exit code, never a stack trace.
 *
 * @module
 */

/** A mistake in the command line; exits with code 2. */
export class UsageError extends Error {
  /** Makes a usage error with a sentence-case message. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Where a network error happened, to name it in the message. */
export interface NetworkPlace {
  /** What we were doing. */
  action: "connect" | "listen";
  /** The host we used. */
  host: string;
  /** The port we used. */
  port: number;
  /** The certificate file the client was told to trust (`--ca`), if any. */
  caFile?: string;
}

/** Explains a network error from `Deno.connect` or `Deno.listen` in one line. */
export function describeNetworkError(
  error: unknown,
  place: NetworkPlace,
): string {
  const where = formatAddress(place.host, place.port);
  if (error instanceof Deno.errors.NotCapable) return describeError(error);
  if (error instanceof Deno.errors.ConnectionRefused) {
    return `Connection refused by ${where}: is the server running there, on that port, and listening on an address you can reach?`;
  }
  if (error instanceof Deno.errors.AddrInUse) {
    return `Port ${place.port} on ${place.host} is already in use: stop the other program or choose another --port`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `Cannot listen on ${place.host}: this computer has no such address (use 127.0.0.1 for this computer only, or 0.0.0.0 for every network)`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return place.port < 1024
      ? `Port ${place.port} is privileged (below 1024) and needs administrator rights: choose a port from 1024 to 65535`
      : `The system refused to ${place.action} on ${where}: permission denied`;
  }
  if (error instanceof Deno.errors.TimedOut) {
    return `Connecting to ${where} timed out: check the address, and that no firewall is in the way`;
  }
  if (error instanceof Deno.errors.ConnectionReset) {
    return `Connection to ${where} was reset by the other side`;
  }
  const message = messageOf(error);
  if (
    /lookup address|Name or service not known|No address associated/i.test(
      message,
    )
  ) {
    return `Unknown host "${place.host}": no computer by that name could be found (check the spelling, or use an IP address such as 127.0.0.1)`;
  }
  if (/certificate/i.test(message)) {
    return describeCertificateError(message, place);
  }
  if (/unexpected end of file/i.test(message)) {
    return `The connection to ${where} closed during the TLS handshake: is the server using TLS (--tls-cert)?`;
  }
  if (/corrupt message|InvalidContentType|handshake/i.test(message)) {
    return `TLS failed with ${where} (${message}): is the server using TLS (--tls-cert)?`;
  }
  if (/unreachable/i.test(message)) {
    return `Cannot reach ${where}: the network is unreachable from here`;
  }
  const preposition = place.action === "connect" ? "to" : "on";
  return `Cannot ${place.action} ${preposition} ${where}: ${message}`;
}

/** Explains why a TLS client refused the server's certificate, case by case. */
function describeCertificateError(
  message: string,
  place: NetworkPlace,
): string {
  const where = formatAddress(place.host, place.port);
  // rustls: certificate not valid for name "X"; certificate is only valid
  // for DnsName("localhost") or IpAddress(127.0.0.1)
  if (/not valid for name/.test(message)) {
    const names = [
      ...message.matchAll(/(?:DnsName|IpAddress)\("?([^")]+)"?\)/g),
    ]
      .map((match) => match[1]);
    return `The TLS certificate of ${where} is for ${
      names.length > 0 ? names.join(", ") : "other names"
    }, not for "${place.host}": connect with one of those names, or make a certificate that names ${place.host} (README: "Encrypting a room")`;
  }
  if (/CaUsedAsEndEntity/.test(message)) {
    return `The TLS certificate of ${where} is marked as a CA (CA:TRUE), which TLS refuses as a server's own: the server needs a certificate made with basicConstraints=critical,CA:FALSE (README: "Encrypting a room")`;
  }
  if (/Expired|NotValidYet/.test(message)) {
    return `The TLS certificate of ${where} is out of its dates (${message}): the server needs a new one (or check this computer's clock)`;
  }
  if (/UnknownIssuer|BadSignature/.test(message) && place.caFile) {
    return `The TLS certificate of ${where} is not the one in --ca ${place.caFile} (${message}): get the server's current certificate file`;
  }
  return `The TLS certificate of ${where} was not accepted (${message}): for a self-signed server, pass its certificate with --ca FILE`;
}

/** Explains any error in one line, including a missing Deno permission. */
export function describeError(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable) {
    return `Missing Deno permission: ${messageOf(error)}`;
  }
  const message = messageOf(error);
  // rustls's own words when a plain client talks to a TLS server.
  if (message.startsWith("received corrupt message")) {
    return `The other side is not using TLS, but this server expects it (--tls-cert): connect with client.ts --tls (${message})`;
  }
  return message;
}

/** `host:port`, with brackets around an IPv6 address. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The `error:` label, red on a terminal. Deno reads `NO_COLOR` at start-up
 * (`Deno.noColor`) without any permission; `node:util`'s `styleText` would
 * read `NODE_DISABLE_COLORS`, `TERM` and more, which a run granted only
 * `--allow-env=CHATLAB_PASSWORD` answers with a permission prompt.
 */
export function errorLabel(): string {
  return Deno.stderr.isTerminal() && !Deno.noColor
    ? "\x1b[31merror:\x1b[39m"
    : "error:";
}

/** Prints `error: <message>` on stderr and exits with `code`. */
export function exitWithError(message: string, code = 1): never {
  console.error(`${errorLabel()} ${message}`);
  Deno.exit(code);
}

/**
 * Runs a script's `main` and exits 0 when it returns (a read of stdin may
 * still be waiting). Anything thrown becomes one line on stderr: usage
 * errors exit 2, everything else 1.
 */
export async function runMain(main: () => Promise<void>): Promise<never> {
  try {
    await main();
  } catch (error) {
    exitWithError(describeError(error), error instanceof UsageError ? 2 : 1);
  }
  Deno.exit(0);
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Deno colours some messages; keep only the words.
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "").split("\n")[0];
}
