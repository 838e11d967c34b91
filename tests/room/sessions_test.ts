// Sessions in the room core, in-process: tokens, numbered lines acknowledged
// once, names held after a drop, and catch-up with exactly the missed
// messages; then a seeded property test of random drops and reconnects.

import { assertEquals, assertOk } from "../support/assert.ts";
import { connect, fakeRoom, type Joined } from "../support/fake_room.ts";
import { forEachCase } from "../support/random.ts";
import type { Room } from "../../lib/room/room.ts";

/** Joins `name` with a session; returns the member and its token. */
function joinWithSession(
  room: Room,
  name: string,
  address = "10.0.0.1",
): Joined & { token: string } {
  const joined = connect(room, address);
  joined.say("/session");
  joined.say(name);
  const tokenLine = joined.member.lines.find((l) =>
    l.startsWith("*** Session ")
  );
  assertOk(tokenLine, `no token in ${joined.member.lines.join(" | ")}`);
  joined.member.clear();
  return { ...joined, token: tokenLine.slice("*** Session ".length) };
}

Deno.test("a member with a session gets a token, ids on messages and an ack per numbered line", async () => {
  await using r = fakeRoom({ rateLimit: null });
  const alice = joinWithSession(r.room, "alice");
  const bob = joinWithSession(r.room, "bob", "10.0.0.2");
  alice.member.clear();
  bob.say("1 hello");
  bob.say("2 /me waves");
  bob.say("3 /who");
  assertEquals(alice.member.lines, ["[1] <bob> hello", "[2] * bob waves"]);
  assertEquals(bob.member.lines, [
    "*** Ack 1 1",
    "*** Ack 2 2",
    "*** In the room (3): host, alice, bob",
    "*** Ack 3 -",
  ]);
  assertEquals(alice.token.length, 24);
});

Deno.test("a line sent again with a number already taken is acknowledged, not said twice", async () => {
  await using r = fakeRoom({ rateLimit: null });
  const alice = joinWithSession(r.room, "alice");
  const bob = joinWithSession(r.room, "bob", "10.0.0.2");
  alice.member.clear();
  bob.say("1 once");
  bob.say("1 once");
  bob.say("2 twice?");
  bob.say("1 once");
  assertEquals(alice.member.lines, ["[1] <bob> once", "[2] <bob> twice?"]);
  assertEquals(bob.member.lines, [
    "*** Ack 1 1",
    "*** Ack 1 1",
    "*** Ack 2 2",
    "*** Ack 1 1",
  ]);
});

Deno.test("a lost member's name is held 60 s; its token brings it back with exactly what it missed", async () => {
  await using r = fakeRoom({ rateLimit: null });
  const alice = joinWithSession(r.room, "alice");
  const bob = joinWithSession(r.room, "bob", "10.0.0.2");
  bob.say("1 before");
  alice.seat.ended("connection lost");
  alice.seat.closed();
  bob.say("2 while away 1");
  bob.say("3 while away 2");
  const thief = connect(r.room, "10.0.0.3");
  thief.say("alice");
  assertEquals(
    thief.member.last,
    '*** Error: Name "alice" is kept for someone who is reconnecting; type another name',
  );
  r.clock.advance(59_000);
  const back = connect(r.room, "10.0.0.1");
  back.member.clear();
  back.say(`/session ${alice.token} 1`);
  assertEquals(back.member.lines, [
    "*** Resumed alice; 2 missed messages follow.",
    "[2] <bob> while away 1",
    "[3] <bob> while away 2",
  ]);
  assertEquals(bob.member.last, "*** alice is back");
  assertEquals(back.seat.state.name, "alice");
  back.say("1 I'm back");
  assertEquals(bob.member.last, "[4] <alice> I'm back");
});

Deno.test("after the grace period the token is refused and the name is free", async () => {
  await using r = fakeRoom();
  const alice = joinWithSession(r.room, "alice");
  alice.seat.ended("connection lost");
  alice.seat.closed();
  r.clock.advance(60_000);
  const back = connect(r.room);
  back.member.clear();
  back.say(`/session ${alice.token} 0`);
  assertEquals(back.member.lines, [
    "*** Error: That session has ended (or the server forgot it); type your name to join again",
  ]);
  back.say("alice");
  assertOk(back.member.last?.startsWith("*** Session "));
  assertEquals(back.seat.state.name, "alice");
});

Deno.test("/quit ends the session at once: the name is free and the token dead", async () => {
  await using r = fakeRoom();
  const alice = joinWithSession(r.room, "alice");
  alice.say("1 /quit");
  alice.seat.ended(null);
  alice.seat.closed();
  const other = connect(r.room);
  other.say("alice");
  assertEquals(other.seat.state.name, "alice");
  const back = connect(r.room, "10.0.0.9");
  back.member.clear();
  back.say(`/session ${alice.token} 0`);
  assertEquals(back.member.lines.length, 1);
  assertOk(
    back.member.lines[0].startsWith("*** Error: That session has ended"),
  );
});

Deno.test("clients without a session see nothing of this", async () => {
  await using r = fakeRoom();
  const plain = connect(r.room);
  plain.say("nc_user");
  plain.member.clear();
  const alice = joinWithSession(r.room, "alice", "10.0.0.2");
  plain.member.clear();
  alice.say("1 hi");
  assertEquals(plain.member.lines, ["<alice> hi"]);
  plain.say("7 not a number to me");
  assertEquals(alice.member.lines.at(-1), "[2] <nc_user> 7 not a number to me");
});

/**
 * The property: whatever the interleaving of sends, drops (with lines lost
 * on the way) and reconnects, a reader that resumes after every drop ends
 * with each sender's lines exactly once, in order.
 */
Deno.test("random drops and reconnects never make a gap or a duplicate", () => {
  forEachCase({ cases: 300 }, (random) => {
    const r = fakeRoom({ rateLimit: null, resumeGraceMs: 1e12 });
    const senders = ["ann", "ben", "cat"].map((name, i) =>
      new ModelClient(r.room, name, `10.0.1.${i + 1}`)
    );
    const reader = new ModelClient(r.room, "reader", "10.0.2.1");
    const sent = new Map(senders.map((s) => [s.name, [] as string[]]));
    for (let step = 0; step < 60; step++) {
      const client = random.pick([...senders, reader]);
      const action = random.int(0, 9);
      if (action < 6 && client !== reader) {
        const text = `${client.name}-${sent.get(client.name)!.length}`;
        sent.get(client.name)!.push(text);
        client.type(
          text,
          random.pick(["arrives", "arrives", "ack lost", "lost"]),
        );
      } else if (action < 8) {
        client.drop();
      } else {
        client.reconnect();
      }
    }
    for (const client of [...senders, reader]) client.reconnect();
    reader.readArrived();
    for (const sender of senders) {
      const got = reader.transcript.filter((line) =>
        line.startsWith(`<${sender.name}> `)
      ).map((line) => line.slice(sender.name.length + 3));
      assertEquals(got, sent.get(sender.name));
    }
    r.room.close();
  });
});

/** A client that behaves as room_client.ts does, over fake members. */
class ModelClient {
  readonly name: string;
  readonly transcript: string[] = [];
  readonly #room: Room;
  readonly #address: string;
  #joined: Joined | null = null;
  #token = "";
  #lastId = 0;
  #nextSeq = 1;
  readonly #unacked = new Map<number, string>();
  #read = 0;

  constructor(room: Room, name: string, address: string) {
    this.name = name;
    this.#room = room;
    this.#address = address;
    this.#joined = connect(room, address);
    this.#joined.say("/session");
    this.#joined.say(name);
    this.#drain();
  }

  /**
   * Types a line. The connection may drop before the line arrives, or after
   * it arrived but before its acknowledgement is read.
   */
  type(text: string, fate: "arrives" | "ack lost" | "lost"): void {
    const seq = this.#nextSeq++;
    this.#unacked.set(seq, text);
    if (!this.#joined) return;
    if (fate === "lost") return this.drop();
    this.#joined.say(`${seq} ${text}`);
    if (fate === "ack lost") return this.drop({ readFirst: false });
    this.#drain();
  }

  /** The connection drops (what arrived is read first, unless not). */
  drop({ readFirst = true } = {}): void {
    if (!this.#joined) return;
    if (readFirst) this.#drain();
    this.#joined.seat.ended("connection lost");
    this.#joined.seat.closed();
    this.#joined = null;
  }

  reconnect(): void {
    if (this.#joined) return;
    this.#joined = connect(this.#room, this.#address);
    this.#read = 0;
    this.#joined.say(`/session ${this.#token} ${this.#lastId}`);
    for (const [seq, text] of this.#unacked) this.#joined.say(`${seq} ${text}`);
    this.#drain();
  }

  /** Reads what has arrived since it last looked. */
  readArrived(): void {
    if (this.#joined) this.#drain();
  }

  /** Reads what arrived: ids, tokens, acks, and the room's lines. */
  #drain(): void {
    const lines = this.#joined!.member.lines;
    for (; this.#read < lines.length; this.#read++) {
      let line = lines[this.#read];
      const tagged = line.match(/^\[(\d+)\] (.*)$/);
      if (tagged) {
        const id = Number(tagged[1]);
        assertOk(id > this.#lastId, `id ${id} again after ${this.#lastId}`);
        this.#lastId = id;
        line = tagged[2];
      }
      let match;
      if ((match = line.match(/^\*\*\* Session (\S+)$/))) {
        this.#token = match[1];
      } else if ((match = line.match(/^\*\*\* Ack (\d+) /))) {
        this.#unacked.delete(Number(match[1]));
      } else if (line.startsWith("<")) this.transcript.push(line);
    }
  }
}
