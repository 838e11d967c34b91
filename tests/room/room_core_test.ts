// The room core in-process: fake members and a fake clock, so a 60-second
// deadline takes microseconds. Every expected value is a pinned literal.

import { assertEquals, assertOk } from "../support/assert.ts";
import { connect, fakeRoom, joinAs } from "../support/fake_room.ts";
import type { RoomMessage } from "../../lib/room/room.ts";

Deno.test("room welcomes a member and asks for its name", async () => {
  await using r = fakeRoom();
  const alice = connect(r.room);
  assertEquals(alice.member.lines, [
    "*** Welcome to the chatlab room. Type your name and press Enter (letters, digits, _ and -, up to 16).",
  ]);
  assertEquals(alice.seat.state.phase, "naming");
});

Deno.test("room refuses bad and taken names, then greets and announces", async () => {
  await using r = fakeRoom();
  const bob = joinAs(r.room, "bob");
  const alice = connect(r.room);
  alice.member.clear();
  alice.say("a b");
  alice.say("BOB");
  alice.say("host");
  alice.say("  alice  ");
  assertEquals(alice.member.lines, [
    '*** Error: Name "a b" may only use letters A-Z and a-z, digits, "_" and "-"; type another name',
    '*** Error: Name "BOB" is taken; type another name',
    '*** Error: Name "host" is taken; type another name',
    "*** Hello alice! In the room (3): host, bob, alice. Type /help for commands.",
  ]);
  assertEquals(alice.seat.state.phase, "chatting");
  assertEquals(bob.member.lines, ["*** alice joined"]);
  assertEquals(r.room.names, ["host", "bob", "alice"]);
});

Deno.test("room relays a line to everyone but its sender", async () => {
  const shown: string[] = [];
  await using r = fakeRoom({
    showToHost: (bytes) => shown.push(new TextDecoder().decode(bytes)),
  });
  const alice = joinAs(r.room, "alice");
  const bob = joinAs(r.room, "bob");
  alice.member.clear();
  shown.length = 0;
  alice.say("hi \x1b[31mall");
  alice.say("//slash");
  assertEquals(bob.member.lines, ["<alice> hi ^[[31mall", "<alice> /slash"]);
  assertEquals(alice.member.lines, []);
  assertEquals(shown, ["<alice> hi ^[[31mall\n", "<alice> /slash\n"]);
});

Deno.test("room shows a newcomer exactly the last 20 messages", async () => {
  await using r = fakeRoom({ rateLimit: null });
  const alice = joinAs(r.room, "alice");
  for (let i = 1; i <= 25; i++) alice.say(`message ${i}`);
  const bob = connect(r.room);
  bob.member.clear();
  bob.say("bob");
  assertEquals(bob.member.lines.length, 23);
  assertEquals(bob.member.lines[1], "*** Last messages:");
  assertEquals(bob.member.lines[2], "<alice> message 6");
  assertEquals(bob.member.lines[21], "<alice> message 25");
  assertEquals(bob.member.lines[22], "*** End of last messages.");
});

Deno.test("room gives every message an increasing id before relaying it", async () => {
  const seen: { id: number; kind: string; text: string; relayed: number }[] =
    [];
  const bobLines: string[] = [];
  await using r = fakeRoom({
    onMessage: (message: RoomMessage) =>
      seen.push({
        id: message.id,
        kind: message.kind,
        text: message.text,
        relayed: bobLines.length,
      }),
  });
  const alice = joinAs(r.room, "alice");
  const bob = joinAs(r.room, "bob");
  const deliver = bob.member.deliver.bind(bob.member);
  bob.member.deliver = (bytes) => {
    bobLines.push(new TextDecoder().decode(bytes));
    deliver(bytes);
  };
  alice.say("one");
  alice.say("/me waves");
  assertEquals(seen, [
    { id: 1, kind: "say", text: "one", relayed: 0 },
    { id: 2, kind: "action", text: "waves", relayed: 1 },
  ]);
  assertEquals(r.room.history.map((message) => message.id), [1, 2]);
});

Deno.test("/msg reaches only its receiver; /me, /who and /nick", async () => {
  await using r = fakeRoom();
  const alice = joinAs(r.room, "alice");
  const bob = joinAs(r.room, "bob");
  const carol = joinAs(r.room, "carol");
  for (const joined of [alice, bob, carol]) joined.member.clear();
  alice.say("/msg bob  secret words");
  assertEquals(bob.member.lines, ["*alice*  secret words"]);
  assertEquals(alice.member.lines, ["-> *bob*  secret words"]);
  assertEquals(carol.member.lines, []);
  alice.say("/msg nobody hi");
  alice.say("/msg bob");
  assertEquals(alice.member.lines.slice(1), [
    '*** Error: Nobody called "nobody" is here; type /who',
    "*** Error: Usage: /msg NAME TEXT",
  ]);
  carol.say("/me waves");
  assertEquals(bob.member.last, "* carol waves");
  carol.say("/who");
  assertEquals(
    carol.member.last,
    "*** In the room (4): host, alice, bob, carol",
  );
  carol.say("/nick Bob");
  assertEquals(carol.member.last, '*** Error: Name "Bob" is taken');
  carol.say("/nick caz");
  assertEquals(alice.member.last, "*** carol is now known as caz");
  assertEquals(carol.member.last, "*** carol is now known as caz");
  carol.say("/dance");
  assertEquals(
    carol.member.last,
    '*** Error: Unknown command "/dance"; type /help',
  );
});

Deno.test("/quit closes the member and tells the others why", async () => {
  await using r = fakeRoom();
  const alice = joinAs(r.room, "alice");
  const bob = joinAs(r.room, "bob");
  alice.say("/quit off to lunch");
  assertEquals(bob.member.lines, ["*** alice left (off to lunch)"]);
  assertEquals(alice.member.closeCount, 1);
  assertEquals(alice.seat.state.phase, "closed");
  assertEquals(r.room.names, ["host", "bob"]);
  r.room.hostSays("/quit");
  assertEquals(r.room.names, ["host", "bob"]);
});

Deno.test("room refuses an oversize line and keeps the member", async () => {
  await using r = fakeRoom();
  const alice = joinAs(r.room, "alice");
  alice.seat.receive({ kind: "oversize", bytes: 1500 });
  assertEquals(alice.member.lines, [
    "*** Error: Your line was 1500 bytes; the limit is 1024 bytes, so it was not sent",
  ]);
  assertEquals(alice.seat.state.phase, "chatting");
});

Deno.test("flood guard passes 40 lines, refuses the 41st, drops after 80 more", async () => {
  await using r = fakeRoom();
  const alice = joinAs(r.room, "alice");
  const bob = joinAs(r.room, "bob");
  bob.member.clear();
  for (let i = 1; i <= 41; i++) alice.say(`line ${i}`);
  assertEquals(bob.member.lines.length, 40);
  assertEquals(
    alice.member.last,
    "*** Error: You are sending too fast; slow down (lines are being dropped)",
  );
  r.clock.advance(1000); // 5 lines back
  for (let i = 1; i <= 6; i++) alice.say(`later ${i}`);
  assertEquals(bob.member.lines.length, 45);
  // "later 6" was the first refused; 80 more refused in a row drop it.
  for (let i = 0; i < 79; i++) alice.say("flood");
  assertEquals(alice.seat.state.phase, "chatting");
  alice.say("flood");
  assertEquals(
    alice.member.last,
    "*** Disconnected: flooding (too many lines too fast)",
  );
  assertEquals(
    bob.member.last,
    "*** alice left (flooding (too many lines too fast))",
  );
});

Deno.test("flood guard refills 5 KiB of bytes per second after a 20 KiB burst", async () => {
  await using r = fakeRoom();
  const alice = joinAs(r.room, "alice");
  const bob = joinAs(r.room, "bob");
  bob.member.clear();
  const kib = "x".repeat(1024);
  for (let i = 0; i < 21; i++) alice.say(kib);
  assertEquals(bob.member.lines.length, 20);
  r.clock.advance(1000);
  for (let i = 0; i < 6; i++) alice.say(kib);
  assertEquals(bob.member.lines.length, 25);
});

Deno.test("a wrong passphrase is answered only after 2000 ms", async () => {
  await using r = fakeRoom({ password: "open sesame" });
  const mallory = connect(r.room);
  assertEquals(mallory.member.lines, [
    "*** Welcome to the chatlab room. This room needs a password: type it and press Enter.",
  ]);
  assertEquals(mallory.seat.state.phase, "password");
  mallory.say("guess");
  mallory.say("open sesame");
  r.clock.advance(1999);
  assertEquals(mallory.member.lines.length, 1);
  assertEquals(mallory.member.closeCount, 0);
  r.clock.advance(1);
  assertEquals(mallory.member.last, "*** Disconnected: wrong password");
  assertEquals(mallory.member.closeCount, 1);
});

Deno.test("the right passphrase leads to naming", async () => {
  await using r = fakeRoom({ password: "open sesame" });
  const alice = connect(r.room);
  alice.say("open sesame");
  assertEquals(alice.seat.state.phase, "naming");
  assertEquals(
    alice.member.last,
    "*** Password accepted. Welcome to the chatlab room. Type your name and press Enter (letters, digits, _ and -, up to 16).",
  );
  alice.say("alice");
  assertEquals(alice.seat.state.phase, "chatting");
});

Deno.test("a member without a name is dropped after 60 seconds", async () => {
  await using r = fakeRoom();
  const lurker = connect(r.room);
  r.clock.advance(60_000);
  assertEquals(lurker.member.closeCount, 0);
  r.clock.advance(1000);
  assertEquals(
    lurker.member.last,
    "*** Disconnected: no name was chosen within 60 seconds",
  );
  assertEquals(lurker.member.closeCount, 1);
});

Deno.test("a silent member is dropped after 3600 seconds, a talking one is not", async () => {
  await using r = fakeRoom({ rateLimit: null });
  const quiet = joinAs(r.room, "quiet");
  const chatty = joinAs(r.room, "chatty");
  for (let minute = 0; minute < 60; minute++) {
    r.clock.advance(60_000);
    chatty.say("still here");
  }
  r.clock.advance(1000);
  assertEquals(
    quiet.member.last,
    "*** Disconnected: silent for more than 3600 seconds",
  );
  assertEquals(
    chatty.member.last,
    "*** quiet left (silent for more than 3600 seconds)",
  );
  assertEquals(chatty.seat.state.phase, "chatting");
});

Deno.test("room admits 10 members from one address and refuses the 11th", async () => {
  await using r = fakeRoom();
  for (let i = 0; i < 10; i++) joinAs(r.room, `m${i}`, "10.0.0.1");
  const eleventh = connect(r.room, "10.0.0.1");
  assertEquals(eleventh.member.lines, [
    "*** Disconnected: too many connections from 10.0.0.1 (the limit is 10)",
  ]);
  assertEquals(eleventh.member.closeCount, 1);
  const other = connect(r.room, "10.0.0.2");
  assertEquals(other.seat.state.phase, "naming");
  eleventh.seat.closed();
  assertEquals(r.room.connectionCount, 11);
});

Deno.test("room admits 100 members and refuses the 101st", async () => {
  await using r = fakeRoom();
  for (let i = 0; i < 100; i++) connect(r.room, `10.0.${i}.1`);
  const late = connect(r.room, "10.1.0.1");
  assertEquals(late.member.lines, [
    "*** Disconnected: the server is full (100 people); try again later",
  ]);
  late.seat.closed();
  assertEquals(r.room.connectionCount, 100);
});

Deno.test("closing the room tells every member and refuses newcomers", async () => {
  const r = fakeRoom();
  const alice = joinAs(r.room, "alice");
  await r.room.close();
  assertEquals(alice.member.lines, [
    "*** Disconnected: the server is shutting down",
  ]);
  const late = connect(r.room);
  assertEquals(late.member.lines, [
    "*** Disconnected: the server is shutting down",
  ]);
  assertOk(late.member.closeCount === 1);
});

Deno.test("room takes more commands from its options", async () => {
  await using r = fakeRoom({
    commands: new Map([[
      "/ping",
      (_room, from) => from.member.deliver(new TextEncoder().encode("pong\n")),
    ]]),
  });
  const alice = joinAs(r.room, "alice");
  alice.say("/PING");
  assertEquals(alice.member.lines, ["pong"]);
});

Deno.test("closing the room during a wrong passphrase's delay answers once", async () => {
  const r = fakeRoom({ password: "open sesame" });
  const mallory = connect(r.room);
  mallory.member.clear();
  mallory.say("guess");
  await r.room.close();
  r.clock.advance(5000);
  assertEquals(mallory.member.lines, [
    "*** Disconnected: the server is shutting down",
  ]);
  assertEquals(mallory.member.closeCount, 1);
});
