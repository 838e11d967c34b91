// The room core over real TCP sockets in the test process: serveTcp on
// 127.0.0.1 port 0, raw clients, and a fake clock for the room's timers.

import { assertEquals } from "../support/assert.ts";
import { FakeClock } from "../support/fake_room.ts";
import { RawClient } from "../support/raw_client.ts";
import { Room, type RoomOptions } from "../../lib/room/room.ts";
import { serveTcp } from "../../lib/room/tcp_member.ts";

/** A room served on a free port, closed (listener first) when disposed. */
function servedRoom(options: RoomOptions = {}) {
  const clock = new FakeClock();
  const room = new Room({ clock, ...options });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = serveTcp(room, listener);
  return {
    room,
    clock,
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving;
      await room.close();
    },
  };
}

Deno.test("serveTcp relays a line between two sockets, not back to its sender", async () => {
  await using served = servedRoom();
  await using alice = await RawClient.join(served.port, "alice");
  await using bob = await RawClient.join(served.port, "bob");
  await alice.waitForLineStarting("*** bob joined");
  await alice.send("hi bob");
  assertEquals(await bob.waitForLineStarting("<alice>"), "<alice> hi bob");
  await bob.send("/who");
  await bob.waitForLineStarting("*** In the room");
  assertEquals(alice.lines.filter((line) => line.startsWith("<")), []);
});

Deno.test("serveTcp drops a socket that sends 16385 bytes without a line end", async () => {
  await using served = servedRoom();
  await using alice = await RawClient.join(served.port, "alice");
  await using mallory = await RawClient.join(served.port, "mallory");
  await mallory.sendRaw("x".repeat(16385));
  assertEquals(
    await mallory.waitForLineStarting("*** Disconnected"),
    "*** Disconnected: sent more than 16384 bytes without a line end",
  );
  await mallory.waitForEnd();
  assertEquals(
    await alice.waitForLineStarting("*** mallory left"),
    "*** mallory left (sent more than 16384 bytes without a line end)",
  );
});

Deno.test("serveTcp: the name deadline runs on the room's clock", async () => {
  await using served = servedRoom({ nameTimeoutMs: 60_000 });
  await using lurker = await RawClient.connect(served.port);
  await lurker.waitForLineStarting("*** Welcome");
  served.clock.advance(61_000);
  assertEquals(
    await lurker.waitForLineStarting("*** Disconnected"),
    "*** Disconnected: no name was chosen within 60 seconds",
  );
  await lurker.waitForEnd();
  // The server's read loop ends just after the close: wait (bounded) for it.
  const deadline = Date.now() + 10_000;
  while (served.room.connectionCount > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assertEquals(served.room.connectionCount, 0);
});
