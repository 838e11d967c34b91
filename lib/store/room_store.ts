/**
 * The room's history in an SQLite file (`server.ts --room --db FILE`),
 * through `node:sqlite`, which is built into Deno.
 *
 * Every message is written before anyone receives it: `append` queues it and
 * the queue is committed in one transaction in a microtask, which runs before
 * the outboxes write that turn's lines (they wait for a microtask too, queued
 * later). So a crash can lose nothing that anyone saw, and a burst of lines
 * costs one commit, not one per line. WAL mode with `synchronous=NORMAL`
 * survives the process being killed (the data is in the kernel's hands);
 * a power cut may lose the last commits. Copying the log into the file (a
 * checkpoint, which waits for the disk) is done once the room has been quiet
 * for a second, not in the middle of a burst, where it held every line for
 * several milliseconds.
 *
 * Bad storage never destroys data: {@linkcode RoomStore.open} looks at an
 * existing file read-only first and refuses, with one line, a file that is
 * not a chatlab database, one from a newer chatlab, or one another program
 * holds; only then does it write.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SavedSession } from "../room/sessions.ts";
import { fromRow, type Row, type StoredMessage } from "./stored_message.ts";
import {
  createSchema,
  explain,
  inspectExisting,
  messageOf,
  StoreError,
} from "./store_file.ts";

export { SCHEMA_VERSION, StoreError } from "./store_file.ts";
export type { StoredMessage } from "./stored_message.ts";

/** How long messages are kept unless `--keep` says otherwise. */
export const DEFAULT_KEEP: Retention = { days: 30 };

/** How much history the file keeps: messages younger than `days`, or the last `rows`. */
export type Retention = { days: number } | { rows: number };

/** Options for {@linkcode RoomStore.open}. */
export interface RoomStoreOptions {
  /**
   * How much history to keep.
   *
   * @default {{ days: 30 }}
   */
  keep?: Retention;
  /**
   * The time now, in milliseconds (for retention).
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Called once if writing fails while the room runs (a full disk): from
   * then on the room goes on in memory only.
   *
   * @default {nothing}
   */
  onWriteFailure?: (error: Error) => void;
  /**
   * How long the room must be quiet before the log is copied into the file.
   *
   * @default {1000}
   */
  checkpointAfterQuietMs?: number;
  /**
   * Pages the file may grow to: only for tests that fill the "disk".
   *
   * @default {SQLite's limit}
   */
  maxPageCount?: number;
}

/** A room's history in an SQLite file. */
export class RoomStore implements Disposable {
  readonly #db: DatabaseSync;
  readonly #path: string;
  readonly #keep: Retention;
  readonly #now: () => number;
  readonly #onWriteFailure: (error: Error) => void;
  #queue: StoredMessage[] = [];
  /** Session changes waiting for the next commit, by token (`null`: ended). */
  #sessionQueue = new Map<string, SavedSession | null>();
  #failed = false;
  #lastId: number;
  #appendsSincePrune = 0;
  /** Statements compiled once: a busy room commits every turn. */
  readonly #statements = new Map<string, StatementSync>();
  readonly #checkpointAfterQuietMs: number;
  #lastCommit = 0;
  #checkpointTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    db: DatabaseSync,
    path: string,
    options: RoomStoreOptions,
  ) {
    this.#db = db;
    this.#path = path;
    this.#keep = options.keep ?? DEFAULT_KEEP;
    this.#now = options.now ?? Date.now;
    this.#onWriteFailure = options.onWriteFailure ?? (() => {});
    this.#checkpointAfterQuietMs = options.checkpointAfterQuietMs ?? 1000;
    // The newest message says the last id; `last_id` keeps it across a
    // `/clear` (written then, and on close), so ids never go back.
    const newest = db.prepare("SELECT MAX(id) AS id FROM messages").get() as
      | { id: number | null }
      | undefined;
    this.#lastId = Math.max(
      Number(this.#meta("last_id") ?? 0),
      Number(newest?.id ?? 0),
    );
  }

  /**
   * Opens (or creates) the room's database at `path`; throws
   * {@linkcode StoreError} with a one-line reason, leaving the file as it was,
   * when it can't be used.
   */
  static open(path: string, options: RoomStoreOptions = {}): RoomStore {
    inspectExisting(path);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      // Fail at once, not after a wait, if another program holds the file;
      // then hold it ourselves for as long as the room runs.
      db.exec("PRAGMA busy_timeout = 0");
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      // Checkpoints are made when the room is quiet (RoomStore.#checkpointWhenQuiet);
      // SQLite's own, at 10,000 pages (40 MiB of log), only bound the log
      // in a room that is never quiet for a second.
      db.exec("PRAGMA wal_autocheckpoint = 10000");
      if (options.maxPageCount !== undefined) {
        db.exec(`PRAGMA max_page_count = ${Math.floor(options.maxPageCount)}`);
      }
      createSchema(db);
    } catch (error) {
      db?.close();
      throw explain(path, error);
    }
    const store = new RoomStore(db, path, options);
    store.prune();
    return store;
  }

  /** The file's path, as given. */
  get path(): string {
    return this.#path;
  }

  /** The highest id ever given (0 for a new room): new ids go on from here. */
  get lastId(): number {
    return this.#lastId;
  }

  /** Whether writing failed and the room now runs in memory only. */
  get failed(): boolean {
    return this.#failed;
  }

  /** This room's identity, kept in the file: ids from the same room line up across restarts. */
  roomId(make: () => string): string {
    const stored = this.#meta("room_id");
    if (stored !== undefined) return stored;
    const id = make();
    this.#write(() => this.#setMeta("room_id", id));
    return id;
  }

  /** The last `limit` messages, oldest first. */
  recent(limit: number): StoredMessage[] {
    const rows = this.#db.prepare(
      "SELECT id, time, kind, sender, text FROM messages ORDER BY id DESC LIMIT ?",
    ).all(limit) as unknown as Row[];
    return rows.reverse().map(fromRow);
  }

  /**
   * Messages after `id`, oldest first, at most `limit`. What is queued is
   * committed first: a member catching up in the same turn as a new message
   * must not miss it.
   */
  since(id: number, limit: number): StoredMessage[] {
    this.flush();
    const rows = this.#db.prepare(
      "SELECT id, time, kind, sender, text FROM messages WHERE id > ? ORDER BY id LIMIT ?",
    ).all(id, limit) as unknown as Row[];
    return rows.map(fromRow);
  }

  /** Queues `message`; it is committed before this turn's lines are written. */
  append(message: StoredMessage): void {
    if (this.#failed) return;
    this.#scheduleFlush();
    this.#queue.push(message);
    if (message.id > this.#lastId) this.#lastId = message.id;
  }

  /** Queues a session's change (`null`: it ended), committed with the messages. */
  saveSession(token: string, session: SavedSession | null): void {
    if (this.#failed) return;
    this.#scheduleFlush();
    this.#sessionQueue.set(token, session);
  }

  /** The sessions kept (for members who may come back after a restart). */
  sessions(): SavedSession[] {
    return (this.#db.prepare(
      "SELECT token, name, last_seq AS lastSeq FROM sessions",
    ).all() as unknown as SavedSession[]).map((row) => ({ ...row }));
  }

  #scheduleFlush(): void {
    if (this.#queue.length === 0 && this.#sessionQueue.size === 0) {
      queueMicrotask(() => this.flush());
    }
  }

  /** Commits what is queued, in one transaction. */
  flush(): void {
    if (this.#failed) return;
    if (this.#queue.length === 0 && this.#sessionQueue.size === 0) return;
    const batch = this.#queue;
    const sessions = this.#sessionQueue;
    this.#queue = [];
    this.#sessionQueue = new Map();
    this.#write(() => {
      // Many rows a statement: each call into SQLite costs more than a row.
      for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
        const rows = batch.slice(i, i + ROWS_PER_INSERT);
        this.#statement(insertSql(rows.length)).run(
          ...rows.flatMap((m) => [m.id, m.time, m.kind, m.from, m.text]),
        );
      }
      const save = this.#statement(
        "INSERT INTO sessions (token, name, last_seq) VALUES (?, ?, ?) ON CONFLICT(token) DO UPDATE SET name = excluded.name, last_seq = excluded.last_seq",
      );
      const end = this.#statement("DELETE FROM sessions WHERE token = ?");
      for (const [token, session] of sessions) {
        if (session) save.run(token, session.name, session.lastSeq);
        else end.run(token);
      }
    });
    this.#appendsSincePrune += batch.length;
    if (this.#appendsSincePrune >= 1000) this.prune();
    this.#checkpointWhenQuiet();
  }

  /** Copies the log into the file once no commit has come for a while. */
  #checkpointWhenQuiet(): void {
    this.#lastCommit = performance.now();
    if (this.#checkpointTimer !== undefined) return;
    const check = () => {
      const quietFor = performance.now() - this.#lastCommit;
      if (quietFor < this.#checkpointAfterQuietMs) {
        this.#checkpointTimer = setTimeout(
          check,
          this.#checkpointAfterQuietMs - quietFor,
        );
        Deno.unrefTimer(this.#checkpointTimer);
        return;
      }
      this.#checkpointTimer = undefined;
      this.#checkpoint();
    };
    this.#checkpointTimer = setTimeout(check, this.#checkpointAfterQuietMs);
    Deno.unrefTimer(this.#checkpointTimer);
  }

  #checkpoint(): void {
    if (this.#failed || !this.#db.isOpen) return;
    try {
      this.#db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch {
      // The log stays as it is, and the next checkpoint tries again; a
      // failure to write is reported by the commit that meets it.
    }
  }

  /** Forgets every message (`/clear`); ids go on from where they were. */
  clear(): void {
    this.flush();
    this.#write(() => {
      this.#db.exec("DELETE FROM messages");
      this.#setMeta("last_id", String(this.#lastId));
    });
  }

  /** Deletes what is older than the retention allows. */
  prune(): void {
    this.#appendsSincePrune = 0;
    this.#write(() => {
      if ("days" in this.#keep) {
        // Rows come in time order: the old ones are the first ids, found
        // without an index on time (which cost a page on every commit). A
        // clock set back only keeps some rows longer.
        const cutoff = this.#now() - this.#keep.days * 86_400_000;
        this.#statement(
          "DELETE FROM messages WHERE id < coalesce((SELECT id FROM messages WHERE time >= ? ORDER BY id LIMIT 1), ?)",
        ).run(cutoff, this.#lastId + 1);
      } else {
        this.#statement("DELETE FROM messages WHERE id <= ?").run(
          this.#lastId - this.#keep.rows,
        );
      }
    });
  }

  /** Commits what is queued and closes the file. */
  close(): void {
    if (!this.#db.isOpen) return;
    clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    this.flush();
    this.#write(() => this.#setMeta("last_id", String(this.#lastId)));
    this.#db.close();
  }

  /** Closes the file. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Runs `work` in a transaction; a failure switches to memory only, once. */
  #write(work: () => void): void {
    if (this.#failed) return;
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        work();
        this.#db.exec("COMMIT");
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        throw error;
      }
    } catch (error) {
      this.#failed = true;
      this.#queue = [];
      this.#onWriteFailure(
        new StoreError(`Cannot write ${this.#path}: ${messageOf(error)}`, {
          cause: error,
        }),
      );
    }
  }

  #meta(key: string): string | undefined {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(
      key,
    ) as { value: string } | undefined;
    return row?.value;
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #setMeta(key: string, value: string): void {
    this.#statement(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).run(key, value);
  }
}

/** The most messages one INSERT writes (5 values each, under SQLite's 32766). */
const ROWS_PER_INSERT = 64;

/** An INSERT of `rows` messages. */
function insertSql(rows: number): string {
  return "INSERT INTO messages (id, time, kind, sender, text) VALUES " +
    Array(rows).fill("(?, ?, ?, ?, ?)").join(", ");
}
