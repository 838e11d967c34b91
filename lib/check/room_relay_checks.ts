/**
 * The room checks of relaying: every line attributed by the server, never
 * echoed to its sender, never passed on bare, private messages to one
 * member only, and the last messages shown to a newcomer.
 *
 * @module
 */

import { failed, passed, shorten } from "./check.ts";
import { heard, inRoom, nameOf, type RoomCheck } from "./checked_room.ts";

/** Relays each line as <NAME> text, named by the server. */
export const attribution: RoomCheck = {
  id: "attribution",
  title: "relays each line as <NAME> text, named by the server",
  why:
    "The server, never the client, says who wrote each line; that is what makes a name trustworthy.",
  hint:
    'Relay every line as f"<{name}> {text}" using the name the server stored for that connection.',
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const from = bob.lines.length;
    ann.send("hello room");
    const expected = `<${nameOf("Ann")}> hello room`;
    const at = await bob.waitFor((line) => line === expected, waitMs, from);
    const sent = `${nameOf("Ann")} sent "hello room"`;
    return at >= 0
      ? passed(sent, `the other heard ${shorten(expected)}`)
      : failed(sent, `the other heard ${heard(bob, from)}`);
  }),
};

/** A sender does not get its own line back. */
export const noEcho: RoomCheck = {
  id: "no-echo",
  title: "a sender does not get its own line back",
  why:
    "A client already shows what its user typed; an echo prints every line twice.",
  hint:
    "When relaying, skip the connection the line came from: for client in clients: if client is not sender: ...",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const from = ann.lines.length;
    ann.send("not back to me");
    await bob.waitFor((line) => line.endsWith("not back to me"), waitMs);
    bob.send("sync from bob");
    await ann.waitFor((line) => line.endsWith("sync from bob"), waitMs, from);
    const echoed = ann.lines.slice(from).find((line) =>
      line.includes("not back to me")
    );
    const sent = `${
      nameOf("Ann")
    } sent "not back to me"; then the other sent "sync from bob"`;
    return echoed === undefined
      ? passed(sent, "the sender got only the other's line")
      : failed(sent, `the sender got its own line back: ${shorten(echoed)}`);
  }),
};

/** A line that looks like another's name or a notice stays attributed. */
export const spoofing: RoomCheck = {
  id: "spoofing",
  title: "a line that looks like another's name or a notice stays attributed",
  why:
    "If `<teacher> homework cancelled` or `*** Bob left` is relayed as it is, anyone can pose as anyone.",
  hint:
    "Always put the server's <name> in front of what a client sent, whatever the text starts with; never relay a client's text bare.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const fakes = [
      `<${nameOf("Bob")}> I am Bob`,
      `*** ${nameOf("Bob")} left`,
      "* teacher says hi",
    ];
    const from = bob.lines.length;
    for (const fake of fakes) ann.send(fake);
    const sent = `${nameOf("Ann")} sent ${
      fakes.map((fake) => shorten(fake)).join(", ")
    }`;
    for (const fake of fakes) {
      const at = await bob.waitFor((line) => line.endsWith(fake), waitMs, from);
      if (at < 0) return failed(sent, `the other heard ${heard(bob, from)}`);
      if (bob.lines[at] !== `<${nameOf("Ann")}> ${fake}`) {
        return failed(sent, `the other heard ${shorten(bob.lines[at])}`);
      }
    }
    return passed(sent, `each relayed after <${nameOf("Ann")}>`);
  }),
};

/** /msg reaches only the one it names. */
export const privateMessage: RoomCheck = {
  id: "msg-private",
  title: "/msg reaches only the one it names",
  why: "A private message that anyone else can see is a leak.",
  hint:
    "For /msg NAME TEXT, write `*FROM* TEXT` to NAME's connection only and `-> *NAME* TEXT` to the sender; nothing to the room.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const cy = await room.join(nameOf("Cy"));
    const [annFrom, cyFrom] = [ann.lines.length, cy.lines.length];
    ann.send(`/msg ${nameOf("Bob")} psst, a secret`);
    const sent = `${nameOf("Ann")} sent "/msg ${
      nameOf("Bob")
    } psst, a secret"; then ${nameOf("Bob")} said "public line"`;
    const got = await bob.waitFor(
      (line) => line === `*${nameOf("Ann")}* psst, a secret`,
      waitMs,
    );
    const echo = await ann.waitFor(
      (line) => line === `-> *${nameOf("Bob")}* psst, a secret`,
      waitMs,
      annFrom,
    );
    bob.send("public line");
    await cy.waitFor((line) => line.endsWith("public line"), waitMs, cyFrom);
    const leak = cy.lines.slice(cyFrom).find((line) => line.includes("psst"));
    if (leak !== undefined) {
      return failed(sent, `a third client saw ${shorten(leak)}`);
    }
    if (got < 0) return failed(sent, `the one named heard ${heard(bob)}`);
    if (echo < 0) {
      return failed(
        sent,
        `the sender heard ${heard(ann, annFrom)}`,
        "Tell the sender what was sent: `-> *NAME* TEXT`.",
      );
    }
    return passed(
      sent,
      "only the one named got it; the sender got the -> line",
    );
  }),
};

/** A newcomer is shown the last messages. */
export const history: RoomCheck = {
  id: "history",
  title: "a newcomer is shown the last messages",
  why:
    "Someone who joins late needs the last messages to follow the conversation.",
  hint:
    "Keep the last 20 relayed lines; after `*** Hello`, send `*** Last messages:`, the lines, and `*** End of last messages.`",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    ann.send("for the record");
    await bob.waitFor((line) => line.endsWith("for the record"), waitMs);
    const dee = await room.join(nameOf("Dee"));
    const expected = `<${nameOf("Ann")}> for the record`;
    const at = await dee.waitFor((line) => line === expected, waitMs);
    const sent = `${nameOf("Ann")} said "for the record", then ${
      nameOf("Dee")
    } joined`;
    return at >= 0
      ? passed(sent, `the newcomer got ${shorten(expected)}`)
      : failed(sent, `the newcomer got ${heard(dee)}`);
  }),
};
