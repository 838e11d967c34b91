#!/usr/bin/env -S deno run --allow-net
// The fault-injecting proxy: forwards TCP both ways, breaking the stream on purpose (deno task proxy).

import { runMain } from "../cli/errors.ts";
import { formatAddress } from "../cli/errors.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import { wireColor } from "../wire/wire_view.ts";
import { describeFaults, directionName, DIRECTIONS } from "./faults.ts";
import { parseProxyOptions, PROXY_HELP } from "./options.ts";
import { FaultProxy } from "./proxy.ts";
import { requirePermission } from "../cli/permissions.ts";
import { describeNetworkError } from "../cli/errors.ts";

async function main() {
  const options = parseProxyOptions(Deno.args);
  if (options.help) return console.log(PROXY_HELP);
  const seed = options.seed ?? Math.floor(Math.random() * 1_000_000);
  requirePermission({
    name: "net",
    host: formatAddress(options.listenHost, options.listenPort),
  });
  requirePermission({
    name: "net",
    host: formatAddress(options.toHost, options.toPort),
  });
  let proxy: FaultProxy;
  try {
    proxy = await FaultProxy.start({
      ...options,
      seed,
      wire: options.wire && { ...options.wire, color: wireColor() },
      log: (line) => console.log(line),
    });
  } catch (error) {
    throw new Error(
      describeNetworkError(asDenoError(error), {
        action: "listen",
        host: options.listenHost,
        port: options.listenPort,
      }),
      { cause: error },
    );
  }
  onInterrupt(() => proxy.close());
  console.log(
    `Proxy listening on ${
      formatAddress(options.listenHost, proxy.port)
    }, forwarding to ${formatAddress(options.toHost, options.toPort)}`,
  );
  for (const direction of DIRECTIONS) {
    console.log(
      `Faults ${directionName(direction)}: ${
        describeFaults(options.faults[direction])
      }`,
    );
  }
  console.log(`Seed ${seed} (--seed ${seed} repeats the random faults)`);
  await new Promise(() => {}); // serves until Ctrl+C
}

/** node:net's errors carry a code; Deno's error classes name it. */
function asDenoError(error: unknown): unknown {
  const code = (error as { code?: string })?.code;
  if (code === "EADDRINUSE") return new Deno.errors.AddrInUse(String(error));
  if (code === "EADDRNOTAVAIL") {
    return new Deno.errors.AddrNotAvailable(String(error));
  }
  if (code === "EACCES") return new Deno.errors.PermissionDenied(String(error));
  return error;
}

if (import.meta.main) await runMain(main);
