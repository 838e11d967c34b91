/**
 * The room checks of load: a whole class joining at once, and one client
 * that never reads, which must not hold up everyone else.
 *
 * @module
 */

import { failed, passed, shorten } from "./check.ts";
import type { RoomClient } from "./room_client.ts";
import { inRoom, nameOf, type RoomCheck, RUN } from "./checked_room.ts";

/** Lines sent at a time in the stalled-reader check (100 KB). */
const STALL_CHUNK_LINES = 100;
/**
 * How much the stalled-reader check sends at most: more than the kernel
 * buffers of a client that does not read can hold (about 4 MB on Linux's
 * loopback), so a server that waits on that client is seen to stall.
 */
const STALL_TOTAL_BYTES = 8_000_000;

/** How many clients the crowd check connects at once. */
const CROWD = 100;

/** A hundred clients at once all join and hear a line. */
export const crowd: RoomCheck = {
  id: "hundred-clients",
  title: `${CROWD} clients at once all join and hear a line`,
  why: "A class is thirty people or more, all connecting in the same minute.",
  hint:
    "Serve every client at once: a thread per client, or selectors/asyncio; never block on one client while the others wait.",
  run: inRoom(async (room, { waitMs }) => {
    const names = Array.from({ length: CROWD }, (_, i) => `p${i}_${RUN}`);
    const attempts = await Promise.all(
      names.map((name) => room.join(name).catch((error: Error) => error)),
    );
    const sent =
      `${CROWD} connections at once, each with its own name; then the first said "roll call"`;
    const refusals = attempts.filter((attempt) => attempt instanceof Error);
    if (refusals.length > 0) {
      return failed(
        sent,
        `${refusals.length} were not let in; one: ${refusals[0].message}`,
      );
    }
    const clients = attempts as RoomClient[];
    const froms = clients.map((client) => client.lines.length);
    clients[0].send("roll call");
    const heardIt = await Promise.all(
      clients.slice(1).map((client, i) =>
        client.waitFor(
          (line) => line === `<${names[0]}> roll call`,
          waitMs * 3,
          froms[i + 1],
        )
      ),
    );
    const missed = heardIt.filter((at) => at < 0).length;
    return missed === 0
      ? passed(sent, `all ${CROWD} joined; the other ${CROWD - 1} heard it`)
      : failed(sent, `${missed} of ${CROWD - 1} did not hear it`);
  }),
};

/** A client that never reads does not hold up the others. */
export const stalledReader: RoomCheck = {
  id: "stalled-reader",
  title: "a client that never reads does not hold up the others",
  why: "One frozen laptop must not freeze the whole class's chat.",
  hint:
    "Never block on one client's send: give each client its own queue (or thread) and drop a client whose queue grows too long.",
  run: inRoom(async (room, { waitMs }) => {
    const frozen = await room.join(nameOf("Frozen"));
    frozen.stopReading();
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const [annFrom, bobFrom] = [ann.lines.length, bob.lines.length];
    const sent =
      `one client stopped reading; another sent lines of 1000 bytes, ${STALL_CHUNK_LINES} at a time, until the server refused or ${
        STALL_TOTAL_BYTES / 1_000_000
      } MB had gone`;
    const refused = (line: string) => line.startsWith("*** Error");
    let lines = 0;
    while (lines * 1000 < STALL_TOTAL_BYTES) {
      for (let i = 0; i < STALL_CHUNK_LINES; i++) {
        ann.send(`line ${lines++} ${"z".repeat(990)}`);
      }
      const last = `line ${lines - 1} `;
      const outcome = await Promise.race([
        bob.waitFor((line) => line.includes(last), waitMs, bobFrom)
          .then((at) => at >= 0 ? "relayed" : "stalled"),
        // A refusal, or the sender cut off for flooding (its last lines can
        // be lost in the reset): either way the server limited the sender.
        ann.waitFor(refused, waitMs, annFrom).then((at) =>
          at >= 0 || ann.closed ? "refused" : "stalled"
        ),
      ]);
      if (outcome === "refused") {
        const error = ann.lines.slice(annFrom).find(refused);
        return passed(
          sent,
          `the server limited the sender (${
            error ? shorten(error) : "it closed the sender's connection"
          }); the third client got every line it let through`,
        );
      }
      if (outcome === "stalled") {
        const got = bob.lines.slice(bobFrom).filter((line) =>
          line.includes(" line ")
        ).length;
        return failed(
          sent,
          `the third client stopped receiving after ${got} of ${lines} lines (${
            Math.round(got / 1000)
          } MB): the server waited on the client that does not read`,
        );
      }
    }
    return passed(
      sent,
      `the third client got all ${lines} lines (${
        Math.round(lines / 1000)
      } MB) while one client read nothing`,
    );
  }),
};
