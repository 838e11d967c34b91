// Moderation in the room core, in-process: fake members from distinct
// addresses and a fake clock. Every expected line is a pinned literal.

import { assertEquals } from "../support/assert.ts";
import { connect, fakeRoom, joinAs } from "../support/fake_room.ts";

const TEACHER_PASS = "apple-pie";

/** A room with a moderator passphrase, alice and bob from their own addresses. */
function classroom() {
  const shown: string[] = [];
  const r = fakeRoom({
    opPassword: TEACHER_PASS,
    rateLimit: null,
    showToHost: (bytes) =>
      shown.push(...new TextDecoder().decode(bytes).trimEnd().split("\n")),
  });
  const alice = joinAs(r.room, "alice", "10.0.0.1");
  const bob = joinAs(r.room, "bob", "10.0.0.2");
  alice.member.clear();
  shown.length = 0;
  return { ...r, alice, bob, shown };
}

Deno.test("moderation commands from a student get one error saying what to do", async () => {
  await using c = classroom();
  for (
    const command of [
      "/kick alice",
      "/mute alice",
      "/unmute alice",
      "/ban alice",
      "/unban 10.0.0.1",
      "/bans",
      "/topic Fractions",
      "/slow 5",
      "/quiet on",
      "/lock on",
      "/clear",
    ]
  ) {
    c.bob.member.clear();
    c.bob.say(command);
    const name = command.split(" ")[0];
    assertEquals(c.bob.member.lines, [
      `*** Error: ${name} is for teachers (moderators); a teacher becomes one with /op PASSPHRASE`,
    ]);
  }
  assertEquals(c.alice.member.lines, []);
});

Deno.test("/op with the right passphrase answers after 2000 ms and marks the moderator in /who", async () => {
  await using c = classroom();
  c.bob.member.clear();
  c.bob.say(`/op ${TEACHER_PASS}`);
  c.clock.advance(1999);
  assertEquals(c.bob.member.lines, []);
  c.clock.advance(1);
  assertEquals(c.bob.member.lines, ["*** bob is now a moderator"]);
  assertEquals(c.alice.member.lines, ["*** bob is now a moderator"]);
  assertEquals(c.shown, ["*** bob is now a moderator"]);
  c.alice.say("/who");
  assertEquals(c.alice.member.last, "*** In the room (3): host, alice, @bob");
  c.bob.say("/deop");
  assertEquals(c.alice.member.last, "*** bob is no longer a moderator");
  c.alice.say("/who");
  assertEquals(c.alice.member.last, "*** In the room (3): host, alice, bob");
});

Deno.test("/op with a wrong passphrase is refused after the same 2000 ms", async () => {
  await using c = classroom();
  c.bob.member.clear();
  c.bob.say("/op apple");
  c.clock.advance(1999);
  assertEquals(c.bob.member.lines, []);
  c.clock.advance(1);
  assertEquals(c.bob.member.lines, [
    "*** Error: Wrong moderator passphrase",
  ]);
  c.bob.say("/kick alice");
  assertEquals(c.alice.seat.state.phase, "chatting");
  assertEquals(c.alice.member.lines, []);
});

Deno.test("/op in a room without a moderator passphrase says how to set one", async () => {
  await using r = fakeRoom();
  const bob = joinAs(r.room, "bob");
  bob.say("/op anything");
  assertEquals(bob.member.lines, [
    "*** Error: This room has no moderator passphrase (the server sets one with CHATLAB_OP_PASSWORD or --op-password)",
  ]);
});

Deno.test("/kick disconnects with the teacher's reason and tells the room once", async () => {
  await using c = classroom();
  c.room.hostSays("/kick bob spamming the room");
  assertEquals(c.bob.member.lines.slice(-1), [
    "*** Disconnected: removed by teacher (spamming the room)",
  ]);
  assertEquals(c.bob.member.closeCount, 1);
  assertEquals(c.alice.member.lines, [
    "*** host removed bob from the room (spamming the room)",
  ]);
  assertEquals(c.shown, [
    "*** host removed bob from the room (spamming the room)",
  ]);
  assertEquals(c.room.names, ["host", "alice"]);
});

Deno.test("/kick of an unknown name or without one gets one error", async () => {
  await using c = classroom();
  c.room.hostSays("/kick");
  c.room.hostSays("/kick carol");
  assertEquals(c.shown, [
    "*** Error: Usage: /kick NAME [REASON]",
    '*** Error: Nobody called "carol" is here; type /who',
  ]);
});

Deno.test("a muted member reads everything but each attempt to talk gets one error", async () => {
  await using c = classroom();
  c.room.hostSays("/mute bob 10");
  assertEquals(c.alice.member.lines, ["*** host muted bob for 10 minutes"]);
  c.bob.member.clear();
  c.alice.member.clear();
  c.bob.say("hello?");
  c.bob.say("/me waves");
  c.bob.say("/msg alice psst");
  assertEquals(c.bob.member.lines, [
    "*** Error: You are muted by the teacher; you can still read, and /msg a teacher",
    "*** Error: You are muted by the teacher; you can still read, and /msg a teacher",
    "*** Error: You are muted by the teacher; you can still read, and /msg a teacher",
  ]);
  assertEquals(c.alice.member.lines, []);
  c.bob.member.clear();
  c.bob.say("/msg host may I speak?");
  assertEquals(c.shown.at(-1), "*bob* may I speak?");
  c.alice.say("still here");
  assertEquals(c.bob.member.lines, [
    "-> *host* may I speak?",
    "<alice> still here",
  ]);
});

Deno.test("a mute survives /nick and a reconnect under another name, and ends on time", async () => {
  await using c = classroom();
  c.room.hostSays("/mute bob 10");
  c.bob.say("/nick robert");
  c.bob.member.clear();
  c.bob.say("it's me");
  assertEquals(c.bob.member.lines.length, 1);
  c.bob.say("/quit");
  const again = joinAs(c.room, "bobby", "10.0.0.2");
  again.say("back again");
  assertEquals(again.member.lines, [
    "*** Error: You are muted by the teacher; you can still read, and /msg a teacher",
  ]);
  c.clock.advance(10 * 60_000);
  c.alice.member.clear();
  again.say("free");
  assertEquals(c.alice.member.lines, ["<bobby> free"]);
});

Deno.test("/unmute lets the member talk again", async () => {
  await using c = classroom();
  c.room.hostSays("/mute bob");
  assertEquals(c.alice.member.last, "*** host muted bob until unmuted");
  c.room.hostSays("/unmute bob");
  assertEquals(c.alice.member.last, "*** host unmuted bob");
  c.bob.say("thanks");
  assertEquals(c.alice.member.last, "<bob> thanks");
  c.room.hostSays("/unmute bob");
  assertEquals(c.shown.at(-1), "*** Error: Bob is not muted");
});

Deno.test("/ban removes the member and refuses its address under any name until it ends", async () => {
  await using c = classroom();
  c.room.hostSays("/ban bob 5");
  assertEquals(
    c.bob.member.last,
    "*** Disconnected: banned by teacher for 5 minutes",
  );
  assertEquals(c.alice.member.last, "*** host banned bob for 5 minutes");
  const again = connect(c.room, "10.0.0.2");
  assertEquals(again.member.lines, [
    "*** Disconnected: you are banned from this room for 5 more minute(s)",
  ]);
  assertEquals(again.member.closeCount, 1);
  c.room.hostSays("/bans");
  assertEquals(c.shown.slice(-2), [
    "*** Bans (1):",
    "***   10.0.0.2 (bob) for 5 more minute(s)",
  ]);
  const other = connect(c.room, "10.0.0.3");
  assertEquals(other.seat.state.phase, "naming");
  c.clock.advance(5 * 60_000);
  const later = connect(c.room, "10.0.0.2");
  assertEquals(later.seat.state.phase, "naming");
});

Deno.test("/unban lifts a ban by address", async () => {
  await using c = classroom();
  c.room.hostSays("/ban bob");
  assertEquals(
    c.alice.member.last,
    "*** host banned bob until the room closes",
  );
  c.room.hostSays("/unban 10.0.0.9");
  assertEquals(c.shown.at(-1), '*** Error: No ban on "10.0.0.9"; type /bans');
  c.room.hostSays("/unban 10.0.0.2");
  assertEquals(c.alice.member.last, "*** host lifted the ban on bob");
  assertEquals(connect(c.room, "10.0.0.2").seat.state.phase, "naming");
  c.room.hostSays("/bans");
  assertEquals(c.shown.at(-1), "*** No bans.");
});

Deno.test("a moderator can't act on another moderator, the operator can; nobody on the operator", async () => {
  await using c = classroom();
  c.alice.say(`/op ${TEACHER_PASS}`);
  c.bob.say(`/op ${TEACHER_PASS}`);
  c.clock.advance(2000);
  c.alice.member.clear();
  c.alice.say("/kick bob");
  c.alice.say("/mute bob");
  c.alice.say("/ban bob");
  c.alice.say("/kick host");
  c.alice.say("/kick alice");
  assertEquals(c.alice.member.lines, [
    "*** Error: Bob is a moderator too; only the operator can do that",
    "*** Error: Bob is a moderator too; only the operator can do that",
    "*** Error: Bob is a moderator too; only the operator can do that",
    "*** Error: The operator can't be removed, muted or banned",
    "*** Error: You can't do that to yourself",
  ]);
  c.room.hostSays("/mute bob");
  assertEquals(c.alice.member.last, "*** host muted bob until unmuted");
});

Deno.test("a moderator who isn't the operator can kick a student", async () => {
  await using c = classroom();
  const carol = joinAs(c.room, "carol", "10.0.0.3");
  c.alice.say(`/op ${TEACHER_PASS}`);
  c.clock.advance(2000);
  c.alice.say("/kick carol");
  assertEquals(carol.member.last, "*** Disconnected: removed by teacher");
  assertEquals(c.bob.member.last, "*** alice removed carol from the room");
});

Deno.test("/topic is shown to everyone now and to each newcomer after the welcome", async () => {
  await using c = classroom();
  c.room.hostSays("/topic Fractions, page 12");
  assertEquals(
    c.alice.member.last,
    "*** host set the topic: Fractions, page 12",
  );
  const carol = connect(c.room, "10.0.0.3");
  carol.say("carol");
  assertEquals(carol.member.lines.slice(1, 3), [
    "*** Hello carol! In the room (4): host, alice, bob, carol. Type /help for commands.",
    "*** Topic: Fractions, page 12",
  ]);
  c.bob.member.clear();
  c.bob.say("/topic");
  assertEquals(c.bob.member.lines, ["*** Topic: Fractions, page 12"]);
});

Deno.test("/slow allows one line per SECONDS per student, not for moderators", async () => {
  await using c = classroom();
  c.room.hostSays("/slow 10");
  assertEquals(
    c.alice.member.last,
    "*** host turned slow mode on: one line every 10 seconds per student",
  );
  c.alice.member.clear();
  c.bob.member.clear();
  c.bob.say("one");
  c.clock.advance(4000);
  c.bob.say("two");
  assertEquals(c.bob.member.lines, [
    "*** Error: Slow mode: one line every 10 s; wait 6 s more",
  ]);
  c.clock.advance(6000);
  c.bob.say("three");
  assertEquals(c.alice.member.lines, ["<bob> one", "<bob> three"]);
  c.room.hostSays("a");
  c.room.hostSays("b");
  assertEquals(c.alice.member.lines.slice(-2), ["<host> a", "<host> b"]);
  c.room.hostSays("/slow 0");
  assertEquals(c.alice.member.last, "*** host turned slow mode off");
  c.room.hostSays("/slow soon");
  assertEquals(
    c.shown.at(-1),
    "*** Error: Usage: /slow SECONDS (0 to 3600; 0 is off)",
  );
});

Deno.test("/quiet lets only moderators talk; students are told why", async () => {
  await using c = classroom();
  c.room.hostSays("/quiet on");
  assertEquals(
    c.alice.member.last,
    "*** host turned quiet mode on: only teachers may talk",
  );
  c.bob.member.clear();
  c.bob.say("can I?");
  assertEquals(c.bob.member.lines, [
    "*** Error: Quiet mode: only the teacher may talk now; you can /msg a teacher",
  ]);
  c.room.hostSays("listen");
  assertEquals(c.bob.member.last, "<host> listen");
  c.room.hostSays("/quiet off");
  c.bob.say("now?");
  assertEquals(c.alice.member.last, "<bob> now?");
  c.room.hostSays("/quiet maybe");
  assertEquals(c.shown.at(-1), "*** Error: Usage: /quiet on|off");
});

Deno.test("/lock refuses new joins with a reason; people inside stay", async () => {
  await using c = classroom();
  c.room.hostSays("/lock on");
  assertEquals(c.alice.member.last, "*** host locked the room: no new joins");
  const carol = connect(c.room, "10.0.0.3");
  assertEquals(carol.member.lines, [
    "*** Disconnected: the room is locked; ask the teacher to unlock it",
  ]);
  c.bob.say("still in");
  assertEquals(c.alice.member.last, "<bob> still in");
  c.room.hostSays("/lock off");
  assertEquals(connect(c.room, "10.0.0.3").seat.state.phase, "naming");
});

Deno.test("/clear empties the history newcomers see and is announced", async () => {
  await using c = classroom();
  c.bob.say("old news");
  c.room.hostSays("/clear");
  assertEquals(c.alice.member.last, "*** host cleared the history");
  assertEquals(c.room.history.length, 0);
  const carol = connect(c.room, "10.0.0.3");
  carol.say("carol");
  assertEquals(
    carol.member.lines.filter((line) => line.includes("Last messages")),
    [],
  );
});
