/**
 * Running a room from `server.ts`: the person at the server sees all the
 * room's traffic and takes part by typing, like any client.
 *
 * @module
 */

import { ChatConsole } from "../chat/chat_console.ts";
import { RoomMembers } from "../chat/room_members.ts";
import { onInterrupt } from "./interrupt.ts";
import type { ServerOptions } from "./options.ts";
import { Room } from "../room/room.ts";
import { serveTcp } from "../room/tcp_member.ts";
import { openRoomStore, type StoreHooks } from "./room_storage.ts";
import type { WebServer } from "../web/web_server.ts";
import { lanAddresses } from "./network.ts";
import { isEveryNetwork } from "./banner.ts";
import { reclaimMemoryWhenQuiet } from "./memory_reclaimer.ts";

/** Serves a room on `listener` until Ctrl+C, which tells the room first. */
export async function hostRoom(
  listener: Deno.Listener,
  options: ServerOptions,
): Promise<void> {
  const screen = new ChatConsole({
    maxLineBytes: options.maxLineBytes,
    room: new RoomMembers({ myName: options.name }),
    timestamps: options.timestamps,
  });
  // Storage first: a file that can't be used stops the server before anyone
  // joins (one line, exit 1).
  const storage: StoreHooks = options.db === undefined
    ? {}
    : openRoomStore(options.db, options.keep, options.room.historySize, {
      show: (line) => screen.show(line),
    });
  const room = new Room({
    ...options.room,
    ...storage,
    showToHost: (bytes) => screen.showBytes(bytes),
  });
  const web = options.web && await startWeb(room, options);
  using _reclaiming = reclaimMemoryWhenQuiet();
  let shuttingDown: Promise<void> | undefined;
  onInterrupt(() =>
    shuttingDown ??= (async () => {
      screen.show("*** Shutting down: telling the room.");
      listener.close();
      await room.close();
      await web?.shutdown();
      storage.close?.();
      await screen.flush();
    })()
  );
  screen.show(
    `*** Room open as "${options.name}". Type to talk to the room; /help for commands.`,
  );
  // The operator's typing runs beside the room; the end of stdin only stops
  // the typing (a server started without a keyboard keeps serving).
  (async () => {
    for await (const frame of screen.typedLines()) {
      if (frame.kind === "line") room.hostSays(frame.text);
      else {screen.show(
          `*** Too long: ${frame.bytes} bytes; the limit is ${options.maxLineBytes}.`,
        );}
    }
  })();
  await serveTcp(room, listener);
  // Serving ends when a shutdown closes the listener: let it finish telling
  // the room before the process exits.
  await shuttingDown;
}

/**
 * Serves the page and WebSocket (`--web`), and prints where to open it.
 * Loaded only when asked for: the page's files are read as modules.
 */
async function startWeb(
  room: Room,
  options: ServerOptions,
): Promise<WebServer> {
  const { serveWeb } = await import("../web/web_server.ts");
  const tls = options.tls && {
    cert: Deno.readTextFileSync(options.tls.certFile),
    key: Deno.readTextFileSync(options.tls.keyFile),
  };
  const web = serveWeb(room, {
    hostname: options.host,
    port: options.web!.port,
    extraOrigins: options.web!.origins,
    tls,
  });
  const scheme = tls ? "https" : "http";
  const hosts = isEveryNetwork(options.host)
    ? [...(lanAddresses() ?? []), "127.0.0.1"]
    : [options.host];
  for (const host of hosts) {
    const where = host.includes(":") ? `[${host}]` : host;
    console.log(`Open in a browser: ${scheme}://${where}:${web.port}/`);
  }
  return web;
}
