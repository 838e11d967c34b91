#!/usr/bin/env -S deno run --allow-net --allow-env=CHATLAB_PASSWORD
// The lesson's chat client: connect to a server and take turns (or chat freely, or join a room).

import { exitWithError, formatAddress, runMain } from "./lib/cli/errors.ts";
import { chatFreely } from "./lib/chat/full_duplex.ts";
import { onInterrupt } from "./lib/cli/interrupt.ts";
import { connectTo } from "./lib/cli/network.ts";
import {
  CLIENT_HELP,
  type ClientOptions,
  parseClientOptions,
  PASSWORD_VARIABLE,
} from "./lib/cli/options.ts";
import { RoomMembers } from "./lib/chat/room_members.ts";
import { takeTurns } from "./lib/chat/take_turns.ts";

async function main() {
  const options = parseClientOptions(Deno.args);
  if (options.help) return console.log(CLIENT_HELP);

  // clientSock.connect((host, port))
  const conn = await connectTo(options.host, options.port, {
    tls: options.tls,
  });
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
      greet: inRoom ? (welcome) => greetRoom(welcome, options) : undefined,
      maxLineBytes: options.maxLineBytes,
      room: inRoom ? new RoomMembers({ myName: options.name }) : undefined,
      timestamps: options.timestamps,
    });
    // The server's own "*** Disconnected: REASON" line said why.
    if (end === "disconnected") Deno.exit(1);
    if (end === "peer closed" && inRoom) {
      exitWithError("The server closed the connection");
    }
    if (end === "peer closed") {
      console.log("The other side closed the connection.");
    }
  }
  conn.close();
}

/** What to answer a room's welcome: the passphrase if it asks, then the name. */
function greetRoom(welcome: string, options: ClientOptions): string[] {
  const wantsPassword = /password/i.test(welcome);
  if (wantsPassword && options.password === undefined) {
    exitWithError(
      `This room needs a password: set ${PASSWORD_VARIABLE} or use --password`,
    );
  }
  return wantsPassword ? [options.password!, options.name!] : [options.name!];
}

if (import.meta.main) await runMain(main);
