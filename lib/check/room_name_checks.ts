/**
 * The room checks of joining: the welcome, the name, and the rules a name
 * must follow (unique in any case, only safe characters), since a name is
 * what makes every later line trustworthy.
 *
 * @module
 */

import { failed, passed, shorten } from "./check.ts";
import { heard, inRoom, nameOf, type RoomCheck } from "./checked_room.ts";

/** Welcomes, takes a name, announces the newcomer. */
export const join: RoomCheck = {
  id: "join",
  title: "welcomes, takes a name, announces the newcomer",
  why:
    "PROTOCOL.md's clients (and nc users) wait for the welcome, send a name, and expect `*** Hello NAME!`.",
  hint:
    "Send a line starting with *** on connect, take the first line as the name, answer `*** Hello NAME! In the room (N): ...`, and tell the others `*** NAME joined`.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.connect();
    const sent = `connected, sent the name ${
      nameOf("Ann")
    }, then a second client joined as ${nameOf("Bob")}`;
    if (!await ann.join(nameOf("Ann"), waitMs)) return failed(sent, heard(ann));
    const from = ann.lines.length;
    await room.join(nameOf("Bob"));
    const joined = await ann.waitFor(
      (line) => line === `*** ${nameOf("Bob")} joined`,
      waitMs,
      from,
    );
    return joined >= 0
      ? passed(sent, `welcome, hello and "*** ${nameOf("Bob")} joined"`)
      : failed(sent, `the first client heard ${heard(ann, from)}`);
  }),
};

/** A name already taken (in any case) is refused. */
export const uniqueNames: RoomCheck = {
  id: "unique-names",
  title: "a name already taken (in any case) is refused",
  why:
    "Two people with one name make every line ambiguous, and let one pose as the other.",
  hint:
    "Compare names ignoring case (name.lower()); answer a taken one with `*** Error: ...` and let the client try another.",
  run: inRoom(async (room, { waitMs }) => {
    await room.join(nameOf("Ann"));
    const copy = await room.connect();
    await copy.waitFor((line) => line.startsWith("***"), waitMs);
    const from = copy.lines.length;
    copy.send(nameOf("Ann").toUpperCase());
    const sent = `a second client asked for ${
      nameOf("Ann").toUpperCase()
    }, then ${nameOf("Cy")}`;
    const answer = await copy.waitFor(
      (line) => line.startsWith("*** "),
      waitMs,
      from,
    );
    if (answer < 0 || !copy.lines[answer].startsWith("*** Error")) {
      return failed(sent, heard(copy, from));
    }
    const next = copy.lines.length;
    copy.send(nameOf("Cy"));
    const hello = await copy.waitFor(
      (line) => line.startsWith("*** Hello"),
      waitMs,
      next,
    );
    return hello >= 0
      ? passed(sent, `${shorten(copy.lines[answer])}, then hello`)
      : failed(
        sent,
        `refused, but then ${heard(copy, next)}`,
        "After refusing a name, keep the connection and take the next line as a new try.",
      );
  }),
};

/** Names outside 1-16 of A-Z a-z 0-9 _ - are refused. */
export const nameRules: RoomCheck = {
  id: "name-rules",
  title: "names outside 1-16 of A-Z a-z 0-9 _ - are refused",
  why:
    "A name with spaces, < > or * could pose as another line's prefix, such as `<teacher>`.",
  hint:
    'Accept only re.fullmatch(r"[A-Za-z0-9_-]{1,16}", name); answer anything else with `*** Error: ...`.',
  run: inRoom(async (room, { waitMs }) => {
    const client = await room.connect();
    await client.waitFor((line) => line.startsWith("***"), waitMs);
    const bad = ["two words", "<teacher>", "*star*", "x".repeat(17)];
    const sent = `tried the names ${
      bad.map((name) => shorten(name)).join(", ")
    }`;
    for (const name of bad) {
      const from = client.lines.length;
      client.send(name);
      const answer = await client.waitFor(
        (line) => line.startsWith("*** "),
        waitMs,
        from,
      );
      if (answer < 0 || !client.lines[answer].startsWith("*** Error")) {
        return failed(sent, `${shorten(name)}: ${heard(client, from)}`);
      }
    }
    return passed(sent, "each answered with *** Error:");
  }),
};
