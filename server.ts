#!/usr/bin/env -S deno run --allow-net --allow-env=CHATLAB_PASSWORD,CHATLAB_OP_PASSWORD --allow-sys=networkInterfaces
// The lesson's chat server: wait for a client and take turns (or chat freely, or host a room).

import { formatAddress, runMain } from "./lib/cli/errors.ts";
import { chatFreely } from "./lib/chat/full_duplex.ts";
import { hostRoom } from "./lib/cli/host_room.ts";
import { onInterrupt } from "./lib/cli/interrupt.ts";
import { listenOn, setNoDelay } from "./lib/cli/network.ts";
import { bannerFacts, startBanner } from "./lib/cli/banner.ts";
import { parseServerOptions, SERVER_HELP } from "./lib/cli/options.ts";
import { takeTurns } from "./lib/chat/take_turns.ts";

async function main() {
  const options = parseServerOptions(Deno.args);
  if (options.help) return console.log(SERVER_HELP);

  // serverSock.bind((host, port)) and serverSock.listen()
  const listener = listenOn(options.host, options.port, {
    tls: options.tls,
    wire: options.wire,
  });
  const port = listener.addr.port;
  // Ctrl+C before anyone connects closes the listener; after, the connection.
  // Installed before "Listening on" is printed, so no Ctrl+C can come first.
  // (A room installs its own.)
  let closeOnInterrupt = () => listener.close();
  if (options.mode !== "room") onInterrupt(() => closeOnInterrupt());
  for (const line of startBanner(options, bannerFacts(options, port))) {
    console.log(line);
  }

  // A room serves many clients until Ctrl+C.
  if (options.mode === "room") return await hostRoom(listener, options);

  // client, address = serverSock.accept(); one client only, so stop listening.
  const conn = await listener.accept();
  listener.close();
  setNoDelay(conn);
  closeOnInterrupt = () => conn.close();
  const { hostname, port: theirPort } = conn.remoteAddr as Deno.NetAddr;
  console.log(`Connected to ${formatAddress(hostname, theirPort)}.`);

  const end = options.mode === "chat"
    ? await chatFreely(conn, {
      maxLineBytes: options.maxLineBytes,
      timestamps: options.timestamps,
    })
    : await takeTurns(conn, {
      speakFirst: false,
      maxLineBytes: options.maxLineBytes,
    });
  if (end === "peer closed") {
    console.log("The other side closed the connection.");
  }
  conn.close();
}

if (import.meta.main) await runMain(main);
