/**
 * The room under check, as every room check sees it: the server started
 * afresh (or reached where it runs) and a way to add clients, named
 * uniquely per run so checks on a server already running do not collide.
 *
 * @module
 */

import { type Check, type Outcome, shorten } from "./check.ts";
import { RoomClient } from "./room_client.ts";
import { type ProgramContext, startServer } from "./turns_session.ts";

/** A room check. */
export type RoomCheck = Check<ProgramContext>;

/** A room to check: where it listens, and a way to add clients. */
export interface CheckedRoom {
  /** Connects a client (closed when the check ends). */
  connect(): Promise<RoomClient>;
  /** Connects a client and joins as `name`; throws if refused. */
  join(name: string): Promise<RoomClient>;
}

/** Names unique to this run, so checks on a running server do not collide. */
export const RUN = Math.random().toString(36).slice(2, 6);

/** `who` with this run's suffix: a name no other run uses. */
export function nameOf(who: string): string {
  return `${who}_${RUN}`;
}

/** Starts the server (if the checker has its command) and returns the room. */
export async function openRoom(
  context: ProgramContext,
  stack: AsyncDisposableStack,
): Promise<CheckedRoom> {
  const { host, port } = context.command
    ? { host: context.host, port: (await startServer(context, stack)).port }
    : context.address!;
  const connect = async () => {
    const client = await retryConnect(host, port, context.startMs);
    stack.use(client);
    return client;
  };
  return {
    connect,
    join: async (name) => {
      // A room that is full only because the last check's clients are
      // still leaving (a server already running) is tried again briefly.
      const deadline = Date.now() + context.startMs;
      while (true) {
        const client = await connect();
        if (await client.join(name, context.waitMs)) return client;
        const refusal = client.lines.some((line) =>
          line.startsWith("*** Disconnected")
        );
        if (!refusal || Date.now() > deadline) {
          throw new Error(
            `the room did not accept the name ${shorten(name)}; it sent ${
              shorten(client.lines.join(" | "), 200)
            }`,
          );
        }
        await client[Symbol.asyncDispose]();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** Connects, trying again for `ms` (a server just started may not listen yet). */
async function retryConnect(
  host: string,
  port: number,
  ms: number,
): Promise<RoomClient> {
  const deadline = Date.now() + ms;
  while (true) {
    try {
      return await RoomClient.open(host, port, ms);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** What a client received from line `from` on, for the report. */
export function heard(client: RoomClient, from = 0): string {
  const lines = client.lines.slice(from);
  if (lines.length === 0) return "nothing";
  return lines.slice(-5).map((line) => shorten(line, 70)).join(", ");
}

/** Runs a room check's body on a fresh room. */
export function inRoom(
  body: (room: CheckedRoom, context: ProgramContext) => Promise<Outcome>,
): RoomCheck["run"] {
  return async (context, stack) =>
    body(await openRoom(context, stack), context);
}
