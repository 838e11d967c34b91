import { assertEquals } from "./support/assert.ts";
import {
  completeInRoom,
  ROOM_COMMANDS,
  RoomMembers,
} from "../lib/chat/room_members.ts";

Deno.test("RoomMembers learns names from the welcome, joins, leaves and renames", () => {
  const room = new RoomMembers();
  room.learn(
    "*** Hello alice! In the room (3): host, bob, alice. Type /help for commands.",
  );
  assertEquals(room.myName, "alice");
  assertEquals(room.names, ["host", "bob"]);
  room.learn("*** carol joined");
  room.learn("*** bob left (gone home)");
  room.learn("*** host is now known as teacher");
  assertEquals(room.names, ["carol", "teacher"]);
  room.learn("*** alice is now known as alicia");
  assertEquals(room.myName, "alicia");
  assertEquals(room.names, ["carol", "teacher"]);
});

Deno.test("RoomMembers takes /who as the whole list and learns speakers", () => {
  const room = new RoomMembers({ myName: "alice" });
  room.learn("<dave> hi");
  room.learn("* erin waves");
  room.learn("*frank* psst");
  assertEquals(room.names, ["dave", "erin", "frank"]);
  room.learn("*** In the room (2): alice, gina");
  assertEquals(room.names, ["gina"]);
});

Deno.test("RoomMembers ignores what a member writes that looks like a notice", () => {
  const room = new RoomMembers({ myName: "alice" });
  room.learn("<mallory> *** eve joined");
  assertEquals(room.names, ["mallory"]);
});

Deno.test("completeInRoom completes commands as the first word, names after", () => {
  assertEquals(ROOM_COMMANDS.length, 6);
  assertEquals(completeInRoom("/ms", []), [["/msg "], "/ms"]);
  assertEquals(completeInRoom("/m", []), [["/me ", "/msg "], "/m"]);
  assertEquals(completeInRoom("/msg al", ["alice", "bob"]), [
    ["alice "],
    "al",
  ]);
  assertEquals(completeInRoom("hi B", ["alice", "bob"]), [["Bob "], "B"]);
  assertEquals(completeInRoom("hi z", ["alice", "bob"]), [[], "z"]);
  // A word that starts with "/" later in the line is not a command.
  assertEquals(completeInRoom("see /he", ["alice"]), [[], "/he"]);
});
