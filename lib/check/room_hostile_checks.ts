/**
 * The room checks of hostile lines: too long, full of terminal control
 * characters, or not UTF-8. Anyone on the network can send any bytes, and
 * the room must neither pass them on raw nor fall over.
 *
 * @module
 */

import { failed, passed, shorten } from "./check.ts";
import { heard, inRoom, nameOf, type RoomCheck } from "./checked_room.ts";

/** A line over 1024 bytes is refused, not cut. */
export const oversize: RoomCheck = {
  id: "oversize-line",
  title: "a line over 1024 bytes is refused, not cut",
  why:
    "A cut line says something its writer did not write; PROTOCOL.md refuses it whole and tells the sender.",
  hint:
    "Check the length of the whole line in bytes (len(line.encode())); over 1024, answer the sender `*** Error: ...` and relay nothing.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const [annFrom, bobFrom] = [ann.lines.length, bob.lines.length];
    ann.send("y".repeat(1500));
    const error = await ann.waitFor(
      (line) => line.startsWith("*** Error"),
      waitMs,
      annFrom,
    );
    ann.send("still here");
    await bob.waitFor((line) => line.endsWith("still here"), waitMs, bobFrom);
    const sent = `${
      nameOf("Ann")
    } sent a line of 1500 bytes, then "still here"`;
    const cut = bob.lines.slice(bobFrom).find((line) => line.includes("yyyy"));
    if (cut !== undefined) {
      return failed(
        sent,
        `the others got ${cut.length - cut.indexOf("y")} bytes of it: ${
          shorten(cut)
        }`,
      );
    }
    if (error < 0) {
      return failed(sent, `the sender heard ${heard(ann, annFrom)}`);
    }
    const after = bob.lines.slice(bobFrom).includes(
      `<${nameOf("Ann")}> still here`,
    );
    return after
      ? passed(
        sent,
        `the sender got ${
          shorten(ann.lines[error])
        }; the next line went through`,
      )
      : failed(
        sent,
        `the next line was lost: the others heard ${heard(bob, bobFrom)}`,
      );
  }),
};

/** Characters that act on a terminal: C0 except tab and line end, DEL, C1, bidi. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]/;

/** Control characters are shown, not relayed raw. */
export const controlCharacters: RoomCheck = {
  id: "control-chars",
  title: "control characters are shown, not relayed raw",
  why:
    "An escape sequence relayed raw acts on every terminal in the room: it can recolour, clear or rewrite the screen.",
  hint:
    "Before relaying, replace each control character (below 0x20 except tab, 0x7F, 0x80-0x9F) with a visible form such as ^[.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const from = bob.lines.length;
    ann.send("bell\x07 \x1b[31mred\x1b[0m \x1b]0;title\x07 back\x08\x08");
    const at = await bob.waitFor((line) => line.includes("red"), waitMs, from);
    const sent = `${
      nameOf("Ann")
    } sent "bell\\x07 \\x1b[31mred\\x1b[0m \\x1b]0;title\\x07 back\\x08\\x08"`;
    if (at < 0) return failed(sent, `the other heard ${heard(bob, from)}`);
    const line = bob.lines[at];
    return CONTROL.test(line)
      ? failed(sent, `relayed with raw control characters: ${shorten(line)}`)
      : passed(sent, `relayed as ${shorten(line)}`);
  }),
};

/** Bytes that are not UTF-8 do not bring the room down. */
export const invalidUtf8: RoomCheck = {
  id: "invalid-utf8",
  title: "bytes that are not UTF-8 do not bring the room down",
  why:
    "Anyone can send any bytes; one bad line must not crash the server and disconnect the whole class.",
  hint:
    'Decode leniently: line.decode("utf-8", errors="replace") turns bad bytes into � instead of raising UnicodeDecodeError.',
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const from = bob.lines.length;
    ann.send(new Uint8Array([0xff, 0xfe, 0x20, 0x6a, 0x75, 0x6e, 0x6b, 0x0a]));
    ann.send("after the junk");
    const at = await bob.waitFor(
      (line) => line.endsWith("after the junk"),
      waitMs,
      from,
    );
    const sent = `${
      nameOf("Ann")
    } sent the bytes 0xFF 0xFE then " junk\\n", then "after the junk"`;
    if (at < 0) {
      return failed(
        sent,
        `${
          bob.closed ? "the server closed the connection; " : ""
        }the other heard ${heard(bob, from)}`,
      );
    }
    const newcomer = await room.join(nameOf("Eve")).then(
      () => true,
      () => false,
    );
    return newcomer
      ? passed(sent, "the room went on, and a newcomer could join")
      : failed(sent, "a newcomer could not join afterwards");
  }),
};
