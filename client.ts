#!/usr/bin/env -S deno run --allow-net --allow-env=CHATLAB_PASSWORD
// The lesson's chat client: connect to a server and take turns (or chat freely, or join a room).

import { exitWithError, formatAddress, runMain } from "./lib/cli/errors.ts";
import { ChatConsole } from "./lib/chat/chat_console.ts";
import { chatFreely } from "./lib/chat/full_duplex.ts";
import { chatInRoom } from "./lib/chat/room_client.ts";
import { onInterrupt } from "./lib/cli/interrupt.ts";
import { connectTo } from "./lib/cli/network.ts";
import {
  CLIENT_HELP,
  parseClientOptions,
  PASSWORD_VARIABLE,
} from "./lib/cli/options.ts";
import { RoomMembers } from "./lib/chat/room_members.ts";
import { takeTurns } from "./lib/chat/take_turns.ts";
import { within } from "./lib/wire/within.ts";

async function main() {
  const options = parseClientOptions(Deno.args);
  if (options.help) return console.log(CLIENT_HELP);

  // clientSock.connect((host, port))
  const conn = await connectTo(options.host, options.port, {
    tls: options.tls,
    wire: options.wire,
  });
  // Ctrl+C closes the connection (a room first says goodbye, briefly).
  let interrupt: () => unknown = () => conn.close();
  onInterrupt(async () => {
    await interrupt();
  });
  console.log(`Connected to ${formatAddress(options.host, options.port)}.`);

  if (options.mode === "turns") {
    // Without --name, a room's welcome still arrives: then join it as a room.
    let inRoom = false;
    const end = await takeTurns(conn, {
      speakFirst: true,
      maxLineBytes: options.maxLineBytes,
      onRoomWelcome: () => {
        inRoom = true;
        console.log(
          "(This server is a room: type your name and press Enter. Next time, add --name NAME.)",
        );
      },
    });
    if (end === "disconnected") Deno.exit(1);
    if (end === "peer closed" && inRoom) {
      exitWithError("The server closed the connection");
    }
    if (end === "peer closed") {
      console.log("The other side closed the connection.");
    }
  } else if (options.name !== undefined) {
    // A room (--name): the server names every sender, and a dropped
    // connection is made again, catching up on what was missed.
    const stop = new AbortController();
    // In a terminal: a line editor, Tab completes names, names in colour.
    const screen = new ChatConsole({
      maxLineBytes: options.maxLineBytes,
      room: new RoomMembers({ myName: options.name }),
      timestamps: options.timestamps,
    });
    const chatting = chatInRoom(conn, {
      connect: () =>
        connectTo(options.host, options.port, {
          tls: options.tls,
          wire: options.wire,
        }),
      name: options.name,
      password: options.password,
      passwordHelp: PASSWORD_HELP,
      maxLineBytes: options.maxLineBytes,
      screen,
      signal: stop.signal,
    });
    interrupt = () => {
      stop.abort();
      return within(chatting, 500);
    };
    const end = await chatting;
    screen.close();
    // The server's own "*** Disconnected: REASON" line said why.
    if (end === "disconnected") Deno.exit(1);
    return; // chatInRoom closed its connections itself
  } else {
    const end = await chatFreely(conn, {
      maxLineBytes: options.maxLineBytes,
      timestamps: options.timestamps,
    });
    if (end === "peer closed") {
      console.log("The other side closed the connection.");
    }
  }
  conn.close();
}

const PASSWORD_HELP =
  `This room needs a password: set ${PASSWORD_VARIABLE} (with --allow-env=${PASSWORD_VARIABLE}, as deno task client has) or use --password`;

if (import.meta.main) await runMain(main);
