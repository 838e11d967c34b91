import { assertEquals, assertThrows } from "../support/assert.ts";
import { ReplayLog } from "../../lib/room/replay_log.ts";
import type { RoomMessage } from "../../lib/room/room_options.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function message(id: number, kind: RoomMessage["kind"] = "say"): RoomMessage {
  const text = `line ${id}`;
  const line = kind === "say"
    ? encoder.encode(`<bob> ${text}\n`)
    : encoder.encode(`* bob ${text}\n`);
  return { id, time: 1_700_000_000_000 + id, kind, from: "bob", text, line };
}

/** What a message holds, with its line as text, for comparing. */
function plain(message: RoomMessage) {
  return { ...message, line: decoder.decode(message.line) };
}

Deno.test("ReplayLog gives back every field of the messages after an id", () => {
  const log = new ReplayLog(5);
  const kept = [message(1), message(2, "action"), message(3)];
  for (const each of kept) log.push(each);
  assertEquals(log.since(0).map(plain), kept.map(plain));
  assertEquals(log.since(1).map(plain), kept.slice(1).map(plain));
  assertEquals(log.since(3), []);
  assertEquals(log.since(2)[0].line.length, "<bob> line 3\n".length);
});

Deno.test("ReplayLog keeps only the last 3 of 7 when it holds 3, oldest first", () => {
  const log = new ReplayLog(3);
  for (let id = 1; id <= 7; id++) log.push(message(id));
  assertEquals(log.length, 3);
  assertEquals(log.since(0).map((each) => each.id), [5, 6, 7]);
  assertEquals(log.since(5).map((each) => each.id), [6, 7]);
  assertEquals(log.since(6).map((each) => each.text), ["line 7"]);
});

Deno.test("ReplayLog finds ids that skip numbers (private lines and commands have none)", () => {
  const log = new ReplayLog(4);
  for (const id of [10, 14, 15, 40, 41]) log.push(message(id));
  assertEquals(log.since(12).map((each) => each.id), [14, 15, 40, 41]);
  assertEquals(log.since(15).map((each) => each.id), [40, 41]);
  assertEquals(log.since(39).map((each) => each.id), [40, 41]);
});

Deno.test("ReplayLog refuses a capacity that is not a positive integer", () => {
  assertThrows(
    () => new ReplayLog(0),
    RangeError,
    'capacity must be a positive integer, got "0"',
  );
});
