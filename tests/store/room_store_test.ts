// The room's SQLite store, in-process on real files in a temporary folder:
// ordering of writes, ids across reopen, retention, and every bad file left
// byte for byte as it was.

import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertOk, assertThrows } from "../support/assert.ts";
import { RoomStore, StoreError } from "../../lib/store/room_store.ts";
import { openRoomStore } from "../../lib/cli/room_storage.ts";
import { Room } from "../../lib/room/room.ts";
import { joinAs } from "../support/fake_room.ts";
import { tempDir } from "../support/temp_dir.ts";

const DAY = 86_400_000;

const folder = tempDir("chatlab-store-");
addEventListener("unload", () => folder[Symbol.dispose]());

function tempFile(name = "class.sqlite"): string {
  return `${Deno.makeTempDirSync({ dir: folder.path })}/${name}`;
}

function message(id: number, text = `line ${id}`, time = 1_000 * DAY + id) {
  return { id, time, kind: "say" as const, from: "alice", text };
}

Deno.test("store keeps messages and their ids across a reopen", () => {
  const path = tempFile();
  using store = RoomStore.open(path);
  assertEquals(store.lastId, 0);
  store.append(message(1));
  store.append(message(2, "/me style", 1_000 * DAY + 2));
  store.flush();
  store.close();
  using again = RoomStore.open(path, { now: () => 1_000 * DAY });
  assertEquals(again.lastId, 2);
  assertEquals(again.recent(20).map((m) => [m.id, m.text]), [
    [1, "line 1"],
    [2, "/me style"],
  ]);
  assertEquals(again.since(1, 10).map((m) => m.id), [2]);
});

Deno.test("store commits a turn's messages together, in the microtask before the outboxes write", async () => {
  const path = tempFile();
  using store = RoomStore.open(path);
  store.append(message(1));
  store.append(message(2));
  // Queued, not yet written: the rest of this turn may add to the batch.
  assertEquals(store.recent(10).length, 0);
  // An outbox waits one microtask before it writes (outbox.ts); by then the
  // store's commit, queued earlier, has run.
  await Promise.resolve();
  assertEquals(store.recent(10).map((m) => m.id), [1, 2]);
});

Deno.test("store keeps 30 days by default and the last N messages with { rows }", () => {
  const path = tempFile();
  const now = 1_000 * DAY;
  using store = RoomStore.open(path, { now: () => now });
  store.append(message(1, "old", now - 31 * DAY));
  store.append(message(2, "recent", now - 29 * DAY));
  store.flush();
  store.prune();
  assertEquals(store.recent(10).map((m) => m.text), ["recent"]);
  store.close();

  using rows = RoomStore.open(path, { keep: { rows: 3 }, now: () => now });
  for (let id = 3; id <= 10; id++) rows.append(message(id, `m${id}`, now));
  rows.flush();
  rows.prune();
  assertEquals(rows.recent(10).map((m) => m.id), [8, 9, 10]);
});

Deno.test("store keeps by days without an index on time: none, some or all rows old", () => {
  const path = tempFile();
  let now = 1_000 * DAY;
  {
    // A file from an earlier chatlab, with the index that cost a page a commit.
    using db = new DatabaseSync(path);
    db.exec(
      "CREATE TABLE messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL)",
    );
    db.exec("CREATE INDEX messages_time ON messages (time)");
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    db.exec("INSERT INTO meta VALUES ('app', 'chatlab'), ('schema', '1')");
  }
  using store = RoomStore.open(path, { now: () => now });
  for (let id = 1; id <= 6; id++) {
    store.append(message(id, `m${id}`, now - (41 - 5 * id) * DAY));
  }
  store.flush();
  store.prune();
  // 36, 31, 26, 21, 16 and 11 days old: the first two go.
  assertEquals(store.recent(10).map((m) => m.id), [3, 4, 5, 6]);
  store.prune();
  assertEquals(store.recent(10).map((m) => m.id), [3, 4, 5, 6]);
  now += 100 * DAY;
  store.prune();
  assertEquals(store.recent(10), []);
  assertEquals(store.lastId, 6);
  store.close();
  using db = new DatabaseSync(path, { readOnly: true });
  assertEquals(
    db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'messages_time'",
    ).all(),
    [],
  );
});

Deno.test("store copies its log into the file only once the room has been quiet", async () => {
  const path = tempFile();
  using store = RoomStore.open(path, { checkpointAfterQuietMs: 300 });
  const fileSize = () => Deno.statSync(path).size;
  const before = fileSize();
  // A commit every 100 ms for a second: never quiet for 300 ms.
  for (let id = 1; id <= 10; id++) {
    store.append(message(id, "x".repeat(2000)));
    store.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assertEquals(fileSize(), before, "the file was written during the burst");
  assertOk(
    Deno.statSync(`${path}-wal`).size > 20_000,
    "the log holds the lines",
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  assertOk(
    fileSize() > before + 20_000,
    `the file is still ${fileSize()} bytes`,
  );
});

Deno.test("store clear forgets the messages but ids go on", () => {
  const path = tempFile();
  using store = RoomStore.open(path);
  store.append(message(1));
  store.clear();
  assertEquals(store.recent(10), []);
  store.close();
  using again = RoomStore.open(path);
  assertEquals(again.lastId, 1);
});

/** The error opening `path` throws, which must be a StoreError. */
function openError(path: string): StoreError {
  try {
    RoomStore.open(path).close();
  } catch (error) {
    assertOk(error instanceof StoreError, `not a StoreError: ${error}`);
    return error;
  }
  throw new Error(`${path} opened, but should have been refused`);
}

/** Asserts that opening `path` fails with exactly `reason` and leaves it unchanged. */
function assertRefusedUnchanged(path: string, reason: string): void {
  const before = Deno.readFileSync(path);
  assertEquals(openError(path).message, reason);
  assertEquals(Deno.readFileSync(path), before);
  for (const suffix of ["-wal", "-shm", "-journal"]) {
    assertThrows(() => Deno.statSync(path + suffix), Deno.errors.NotFound);
  }
}

Deno.test("store refuses a file that is not SQLite and leaves it untouched", () => {
  const path = tempFile("notes.sqlite");
  Deno.writeTextFileSync(path, "my homework, not a database\n".repeat(50));
  assertRefusedUnchanged(
    path,
    `${path} is not a chatlab database (not an SQLite file): choose another --db file (it was left untouched)`,
  );
});

Deno.test("store refuses another program's SQLite database and leaves it untouched", () => {
  const path = tempFile("grades.sqlite");
  const other = new DatabaseSync(path);
  other.exec("CREATE TABLE grades (student TEXT, mark INTEGER)");
  other.exec("INSERT INTO grades VALUES ('alice', 18)");
  other.close();
  assertRefusedUnchanged(
    path,
    `${path} is an SQLite database, but not chatlab's: choose another --db file (it was left untouched)`,
  );
});

Deno.test("store refuses a file from a newer chatlab and leaves it untouched", () => {
  const path = tempFile();
  RoomStore.open(path).close();
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = DELETE");
  db.exec("UPDATE meta SET value = '2' WHERE key = 'schema'");
  db.close();
  assertRefusedUnchanged(
    path,
    `${path} was written by a newer chatlab (schema 2; this one reads 1): update chatlab or choose another --db file`,
  );
});

Deno.test("store refuses a file another server holds, without touching it", () => {
  const path = tempFile();
  using first = RoomStore.open(path);
  first.append(message(1));
  first.flush();
  const before = Deno.readFileSync(path);
  assertEquals(
    openError(path).message,
    `${path} is in use by another program (another chatlab server?): stop it or choose another --db file`,
  );
  assertEquals(Deno.readFileSync(path), before);
  assertEquals(first.recent(10).length, 1);
});

Deno.test("a full disk makes the room tell the operator once and go on in memory", async () => {
  const path = tempFile();
  const shown: string[] = [];
  const hooks = openRoomStore(path, { days: 30 }, 20, {
    show: (line) => shown.push(line),
    maxPageCount: 8,
  });
  const room = new Room({ ...hooks, rateLimit: null });
  const alice = joinAs(room, "alice", "10.0.0.1");
  const bob = joinAs(room, "bob", "10.0.0.2");
  for (let i = 1; i <= 400; i++) {
    alice.say(`line ${i} ${"x".repeat(200)}`);
    await Promise.resolve();
  }
  const failures = shown.filter((line) => line.startsWith("*** Storage"));
  assertEquals(failures.length, 1);
  assertOk(
    failures[0].endsWith("; the room goes on in memory only."),
    failures[0],
  );
  assertOk(failures[0].includes("database or disk is full"), failures[0]);
  assertEquals(bob.member.lines.length, 400);
  assertEquals(bob.member.last?.startsWith("<alice> line 400 "), true);
  await room.close();
  hooks.close?.();
  // What was written before the disk filled is still there.
  using again = RoomStore.open(path);
  assertOk(again.lastId > 0 && again.lastId < 400, `lastId ${again.lastId}`);
});
