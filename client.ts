#!/usr/bin/env -S deno run --allow-net
// The lesson's chat client: connect to a server, then take turns sending messages.

import { exitWithError, formatAddress, runMain } from "./lib/errors.ts";
import { chatFreely } from "./lib/full_duplex.ts";
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
  console.log(`Connected to ${formatAddress(options.host, options.port)}.`);

  if (options.mode === "turns") {
    const end = await takeTurns(conn, {
      speakFirst: true,
      maxLineBytes: options.maxLineBytes,
    });
    if (end === "peer closed") {
      console.log("The other side closed the connection.");
    }
  } else {
    // In a room (--name), the server names every sender; else it's "Received:".
    const inRoom = options.name !== undefined;
    const end = await chatFreely(conn, {
      label: inRoom ? "" : "Received: ",
      firstLine: options.name,
      maxLineBytes: options.maxLineBytes,
    });
    if (end === "disconnected") exitWithError("the server disconnected you");
    if (end === "peer closed" && inRoom) {
      exitWithError("the server closed the connection");
    }
    if (end === "peer closed") {
      console.log("The other side closed the connection.");
    }
  }
  conn.close();
}

if (import.meta.main) await runMain(main);
