#!/usr/bin/env -S deno run --allow-net
// The least a Deno server can hold per idle TCP client: a `Deno.Conn` and
// one read waiting on it, into 256 bytes (the room's read size for an idle
// member), with the room's memory reclaimer so that its heap is measured as
// chatlab's is. A benchmark reference for memory, not a chat server: it
// greets each client once its name line comes, as the baselines do, and
// ignores everything after.
//
// Usage: deno run --allow-net bench/floor_deno.ts [PORT]   (0 picks a free port)

import { reclaimMemoryWhenQuiet } from "../lib/cli/memory_reclaimer.ts";

const port = Number(Deno.args[0] ?? 0);

async function hold(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(256);
  let greeted = false;
  try {
    while (true) {
      const count = await conn.read(buffer);
      if (count === null) break;
      if (!greeted && buffer.subarray(0, count).includes(10)) {
        greeted = true;
        await conn.write(new TextEncoder().encode("*** Hello!\n"));
      }
    }
  } catch {
    // A reset: the client is gone.
  }
  conn.close();
}

async function main(): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  console.log(`Listening on 127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  using _reclaiming = reclaimMemoryWhenQuiet();
  for await (const conn of listener) hold(conn);
}

if (import.meta.main) await main();
