/**
 * Running a room from `server.ts`: the person at the server sees all the
 * room's traffic and takes part by typing, like any client.
 *
 * @module
 */

import { ChatConsole } from "../chat/chat_console.ts";
import { onInterrupt } from "./interrupt.ts";
import type { ServerOptions } from "./options.ts";
import { Room } from "../room/room.ts";
import { serveTcp } from "../room/tcp_member.ts";
import { openRoomStore, type StoreHooks } from "./room_storage.ts";

/** Serves a room on `listener` until Ctrl+C, which tells the room first. */
export async function hostRoom(
  listener: Deno.Listener,
  options: ServerOptions,
): Promise<void> {
  const screen = new ChatConsole({ maxLineBytes: options.maxLineBytes });
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
  let shuttingDown: Promise<void> | undefined;
  onInterrupt(() =>
    shuttingDown ??= (async () => {
      screen.show("*** Shutting down: telling the room.");
      listener.close();
      await room.close();
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
