/**
 * Which addresses a port is listening on, from Linux's `/proc/net/tcp` and
 * `/proc/net/tcp6`.
 *
 * @module
 */

import { readProc } from "./proc.ts";

/** The socket state `/proc/net/tcp` gives a listening socket. */
const LISTEN = "0A";

/**
 * The local addresses with a listening socket on `port` (`127.0.0.1`,
 * `0.0.0.0`, `::`...), or `null` where `/proc` cannot be read.
 */
export async function listeningAddresses(
  port: number,
): Promise<string[] | null> {
  const found: string[] = [];
  const tables = await readProc("/proc/net/tcp /proc/net/tcp6");
  if (tables === null) return null;
  for (const row of tables.split("\n")) {
    const [, local, , state] = row.trim().split(/\s+/);
    if (state !== LISTEN || !local?.includes(":")) continue;
    const [hexAddress, hexPort] = local.split(":");
    if (parseInt(hexPort, 16) === port) found.push(decodeAddress(hexAddress));
  }
  return found;
}

/** `0100007F` is 127.0.0.1 (little-endian words); 32 hex digits are IPv6. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    return [6, 4, 2, 0].map((at) => parseInt(hex.slice(at, at + 2), 16)).join(
      ".",
    );
  }
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const chunk = hex.slice(word * 8, word * 8 + 8);
    for (const at of [6, 4, 2, 0]) {
      bytes.push(parseInt(chunk.slice(at, at + 2), 16));
    }
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  }
  const full = groups.join(":");
  if (full === "0:0:0:0:0:0:0:0") return "::";
  if (full === "0:0:0:0:0:0:0:1") return "::1";
  if (full.startsWith("0:0:0:0:0:ffff:")) {
    return `::ffff:${bytes.slice(12).join(".")}`;
  }
  return full;
}
