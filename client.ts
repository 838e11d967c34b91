#!/usr/bin/env -S deno run --allow-net
// The lesson's chat client: connect to a server, then take turns sending messages.

import { formatAddress, runMain } from "./lib/errors.ts";
import { onInterrupt } from "./lib/interrupt.ts";
import { connectTo } from "./lib/network.ts";
import { CLIENT_HELP, parseClientOptions } from "./lib/options.ts";
import { takeTurns } from "./lib/take_turns.ts";

async function main() {
  const options = parseClientOptions(Deno.args);
  if (options.help) return console.log(CLIENT_HELP);

  // clientSock.connect((host, port))
  const conn = await connectTo(options.host, options.port);
  onInterrupt(() => conn.close());
  console.log(
    `Connected to ${
      formatAddress(options.host, options.port)
    }. You speak first.`,
  );

  const end = await takeTurns(conn, {
    speakFirst: true,
    maxLineBytes: options.maxLineBytes,
  });
  if (end === "peer closed") {
    console.log("The other side closed the connection.");
  }
  conn.close();
}

if (import.meta.main) await runMain(main);
