/**
 * Running a room from `server.ts`: the person at the server sees all the
 * room's traffic and takes part by typing, like any client.
 *
 * @module
 */

import { ChatConsole } from "../chat/chat_console.ts";
import { RoomMembers } from "../chat/room_members.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import type { ServerOptions } from "../cli/options.ts";
import { Room } from "./room.ts";

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
  const { limits } = options;
  const room = new Room({
    hostName: options.name,
    showToHost: (bytes) => screen.showBytes(bytes),
    maxLineBytes: options.maxLineBytes,
    maxUnterminatedBytes: limits.maxUnterminatedBytes,
    maxQueuedBytes: limits.maxQueueBytes,
    maxClients: limits.maxClients,
    maxClientsPerAddress: limits.maxPerAddress,
    rateLimit: limits.rateLimit,
    nameTimeoutMs: limits.nameTimeoutSeconds * 1000,
    idleTimeoutMs: limits.idleTimeoutSeconds * 1000,
    password: options.password,
  });
  let shuttingDown: Promise<void> | undefined;
  onInterrupt(() =>
    shuttingDown ??= (async () => {
      screen.show("*** Shutting down: telling the room.");
      await room.close("the server is shutting down");
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
  await room.serve(listener);
  // Serving ends when a shutdown closes the listener: let it finish telling
  // the room before the process exits.
  await shuttingDown;
}
