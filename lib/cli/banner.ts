/**
 * What `server.ts` prints when it starts: where it listens, how students
 * connect (this computer's addresses and the exact command to type), and,
 * for a room, whether it has a passphrase and whether it is encrypted.
 *
 * @module
 */

import {
  type CertificateFacts,
  inspectCertificate,
  unnamedAddresses,
} from "./certificate.ts";
import { lanAddresses } from "./network.ts";
import { formatAddress } from "./errors.ts";
import { DEFAULT_HOST, DEFAULT_PORT, type ServerOptions } from "./options.ts";

/** What the banner needs to know beyond the options. */
export interface BannerFacts {
  /** The port actually bound (port 0 picks one). */
  port: number;
  /** This computer's LAN addresses, or `null` if they could not be listed. */
  lanAddresses: string[] | null;
  /** What the TLS certificate names, when serving TLS. */
  certificate?: CertificateFacts;
}

/** Gathers the facts for {@linkcode startBanner} (the certificate was read once already). */
export function bannerFacts(options: ServerOptions, port: number): BannerFacts {
  return {
    port,
    lanAddresses: lanAddresses(),
    certificate: options.tls &&
      inspectCertificate(Deno.readTextFileSync(options.tls.certFile)),
  };
}

/** Whether `host` accepts connections from every network. */
export function isEveryNetwork(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

/** The lines `server.ts` prints once it listens. */
export function startBanner(
  options: ServerOptions,
  facts: BannerFacts,
): string[] {
  const { port } = facts;
  const lines = [`Listening on ${formatAddress(options.host, port)}`];
  const everyNetwork = isEveryNetwork(options.host);
  if (everyNetwork) {
    lines.push(
      `Listening on every network: other computers can connect to this computer's address, port ${port}`,
    );
  }
  const addresses = everyNetwork
    ? facts.lanAddresses ?? []
    : options.host === DEFAULT_HOST
    ? []
    : [options.host];
  if (everyNetwork && addresses.length > 0) {
    lines.push(`This computer's network addresses: ${addresses.join(", ")}`);
  }
  if (addresses.length > 0) {
    lines.push(
      `Others connect with: ${clientCommand(options, addresses[0], port)}`,
    );
    if (options.mode === "room" && !options.tls) {
      lines.push(`  or, where there is nc: nc ${addresses[0]} ${port}`);
    }
    if (options.password !== undefined) {
      lines.push(
        "They need the passphrase: set CHATLAB_PASSWORD before that command (with nc, type it first)",
      );
    }
  } else if (options.mode === "room" && !everyNetwork) {
    lines.push(
      `Only this computer can connect; for a class use --host 0.0.0.0. Connect with: ${
        clientCommand(options, options.host, port)
      }`,
    );
  }
  if (options.tls && facts.certificate) {
    const unnamed = unnamedAddresses(facts.certificate, addresses);
    if (unnamed.length > 0) {
      lines.push(
        `Warning: ${options.tls.certFile} is for ${
          facts.certificate.names.join(", ")
        }, not for ${unnamed.join(", ")}: TLS clients that connect to ${
          unnamed.length > 1 ? "those addresses" : "that address"
        } will refuse it: make one with deno task cert (README: "Encrypting a room")`,
      );
    }
  }
  if (options.mode === "room") {
    lines.push(
      options.password === undefined
        ? `Room open to anyone who can reach port ${port} (no passphrase; set CHATLAB_PASSWORD to require one)`
        : "Room protected by a passphrase",
    );
    lines.push(
      options.tls
        ? `Encrypted with TLS (certificate ${options.tls.certFile})`
        : "Not encrypted: anyone on the network can read the messages (see --tls-cert)",
    );
  }
  return lines;
}

/** The command a student types to reach this server at `host`. */
export function clientCommand(
  options: ServerOptions,
  host: string,
  port: number,
): string {
  const words = [options.tls ? "deno task client:tls" : "deno task client"];
  if (host !== DEFAULT_HOST) words.push("--host", host);
  if (port !== DEFAULT_PORT) words.push("--port", String(port));
  if (options.mode === "chat") words.push("--mode", "chat");
  if (options.mode === "room") words.push("--name", "YOUR_NAME");
  return words.join(" ");
}
