// A soak with a bounded count of messages: many clients talk at once, all hear
// all in order, then all leave, and the room is back where it started: the
// same `/who`, the same open files, bounded memory.

import { assertEquals, assertOk } from "./support/assert.ts";
import { RawClient } from "./support/raw_client.ts";
import {
  assertSaidInOrder,
  numberedLines,
  openFiles,
  residentKiB,
  startRoomServer,
} from "./support/room_server.ts";
import { eventually } from "./support/wait.ts";

const CLIENTS = 50;
const LINES_EACH = 20;
const ONLY_HOST = "*** In the room (1): host";

Deno.test(`room soak: ${CLIENTS} clients say ${LINES_EACH} lines each, all hear all in order, and every session ends`, async () => {
  // The default limits, but for the one that would stop 50 clients from one
  // address: the flood guard's paste budget covers 20 lines at once.
  const { server, port, pid } = await startRoomServer([
    "--max-per-address",
    String(CLIENTS),
  ]);
  await using _server = server;
  await server.writeLines("/who");
  await server.stdout.waitForLine(ONLY_HOST);
  const files = await openFiles(pid);
  const memory = await residentKiB(pid);

  const names = Array.from({ length: CLIENTS }, (_, i) => `user${i}`);
  const clients: RawClient[] = [];
  try {
    for (const name of names) clients.push(await RawClient.join(port, name));
    const lines = numberedLines("soak line", LINES_EACH);
    await Promise.all(clients.map((client) => client.send(...lines)));

    for (const [i, client] of clients.entries()) {
      for (const sender of names) {
        if (sender === names[i]) continue;
        await client.waitForLine(`<${sender}> ${lines.at(-1)}`);
        assertSaidInOrder(client.lines, sender, lines);
      }
      assertEquals(
        client.lines.filter((line) => line.startsWith(`<${names[i]}>`)),
        [],
      );
    }
    for (const sender of names) {
      await server.stdout.waitForLine(`<${sender}> ${lines.at(-1)}`);
      assertSaidInOrder(server.stdout.lines, sender, lines);
    }
    const busy = await residentKiB(pid);

    // Half say /quit, half just close their socket.
    for (const [i, client] of clients.entries()) {
      if (i % 2 === 0) await client.send("/quit");
      else await client.close();
    }
    // A client that closes with lines still unread makes its kernel send a
    // reset, which the server reports as "(connection lost)": either ends it.
    for (const name of names) {
      await server.stdout.waitForMatch(
        new RegExp(`^\\*\\*\\* ${name} left( \\(connection lost\\))?$`),
      );
    }
    await server.writeLines("/who");
    await eventually(
      "the room to hold only the host",
      () =>
        server.stdout.lines.filter((line) => line === ONLY_HOST).length === 2,
    );
    await eventually(
      "the server's open files to drop back",
      async () => (await openFiles(pid)) <= files,
    );
    console.log(
      `soak: server RSS ${memory} KiB before, ${busy} KiB busy, ${await residentKiB(
        pid,
      )} KiB after; open files ${files} before, ${await openFiles(pid)} after`,
    );
    assertOk(busy - memory < 200 * 1024);
  } finally {
    for (const client of clients) await client.close();
  }
});
