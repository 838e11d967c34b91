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
 * a power cut may lose the last commits.
 *
 * Bad storage never destroys data: {@linkcode RoomStore.open} looks at an
 * existing file read-only first and refuses, with one line, a file that is
 * not a chatlab database, one from a newer chatlab, or one another program
 * holds; only then does it write.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/** The schema this chatlab writes; a file with a higher one is refused. */
export const SCHEMA_VERSION = 1;

/** What `meta.app` holds in a chatlab database. */
const APP = "chatlab";

/** How long messages are kept unless `--keep` says otherwise. */
export const DEFAULT_KEEP: Retention = { days: 30 };

/** How much history the file keeps: messages younger than `days`, or the last `rows`. */
export type Retention = { days: number } | { rows: number };

/** A stored message: what the room needs to replay it. */
export interface StoredMessage {
  /** The room's id for it: increasing, never reused. */
  id: number;
  /** When it was said, in milliseconds since 1970. */
  time: number;
  /** A plain message, or a `/me` action. */
  kind: "say" | "action";
  /** Who said it. */
  from: string;
  /** What they said (as received; made safe when sent). */
  text: string;
}

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
   * Pages the file may grow to: only for tests that fill the "disk".
   *
   * @default {SQLite's limit}
   */
  maxPageCount?: number;
}

/** A database file that chatlab can't or won't use; the message says why, in one line. */
export class StoreError extends Error {
  /** Makes the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
  }
}

/** A room's history in an SQLite file. */
export class RoomStore implements Disposable {
  readonly #db: DatabaseSync;
  readonly #path: string;
  readonly #keep: Retention;
  readonly #now: () => number;
  readonly #onWriteFailure: (error: Error) => void;
  #queue: StoredMessage[] = [];
  #failed = false;
  #lastId: number;
  #appendsSincePrune = 0;

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
    this.#lastId = Number(this.#meta("last_id") ?? 0);
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

  /** Messages after `id`, oldest first, at most `limit`. */
  since(id: number, limit: number): StoredMessage[] {
    const rows = this.#db.prepare(
      "SELECT id, time, kind, sender, text FROM messages WHERE id > ? ORDER BY id LIMIT ?",
    ).all(id, limit) as unknown as Row[];
    return rows.map(fromRow);
  }

  /** Queues `message`; it is committed before this turn's lines are written. */
  append(message: StoredMessage): void {
    if (this.#failed) return;
    if (this.#queue.length === 0) queueMicrotask(() => this.flush());
    this.#queue.push(message);
    if (message.id > this.#lastId) this.#lastId = message.id;
  }

  /** Commits what is queued, in one transaction. */
  flush(): void {
    if (this.#queue.length === 0 || this.#failed) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#write(() => {
      const insert = this.#db.prepare(
        "INSERT INTO messages (id, time, kind, sender, text) VALUES (?, ?, ?, ?, ?)",
      );
      for (const m of batch) insert.run(m.id, m.time, m.kind, m.from, m.text);
      this.#setMeta("last_id", String(this.#lastId));
    });
    this.#appendsSincePrune += batch.length;
    if (this.#appendsSincePrune >= 1000) this.prune();
  }

  /** Forgets every message (`/clear`); ids go on from where they were. */
  clear(): void {
    this.flush();
    this.#write(() => this.#db.exec("DELETE FROM messages"));
  }

  /** Deletes what is older than the retention allows. */
  prune(): void {
    this.#appendsSincePrune = 0;
    this.#write(() => {
      if ("days" in this.#keep) {
        const cutoff = this.#now() - this.#keep.days * 86_400_000;
        this.#db.prepare("DELETE FROM messages WHERE time < ?").run(cutoff);
      } else {
        this.#db.prepare("DELETE FROM messages WHERE id <= ?").run(
          this.#lastId - this.#keep.rows,
        );
      }
    });
  }

  /** Commits what is queued and closes the file. */
  close(): void {
    if (!this.#db.isOpen) return;
    this.flush();
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

  #setMeta(key: string, value: string): void {
    this.#db.prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).run(key, value);
  }
}

interface Row {
  id: number;
  time: number;
  kind: "say" | "action";
  sender: string;
  text: string;
}

function fromRow(row: Row): StoredMessage {
  return {
    id: row.id,
    time: row.time,
    kind: row.kind,
    from: row.sender,
    text: row.text,
  };
}

/**
 * Looks at an existing file without writing to it: refuses one that isn't
 * SQLite, is someone else's database, or comes from a newer chatlab.
 */
function inspectExisting(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw explain(path, error);
  }
  if (!info.isFile) throw new StoreError(`${path} is not a file`);
  if (info.size === 0) return;
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    db.exec("PRAGMA busy_timeout = 0");
    const tables = (db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table'",
    ).all() as { name: string }[]).map((row) => row.name);
    if (tables.length === 0) return;
    const meta = tables.includes("meta")
      ? Object.fromEntries(
        (db.prepare("SELECT key, value FROM meta").all() as {
          key: string;
          value: string;
        }[]).map(({ key, value }) => [key, value]),
      )
      : {};
    if (meta.app !== APP) {
      throw new StoreError(
        `${path} is an SQLite database, but not chatlab's: choose another --db file (it was left untouched)`,
      );
    }
    const schema = Number(meta.schema);
    if (schema > SCHEMA_VERSION) {
      throw new StoreError(
        `${path} was written by a newer chatlab (schema ${schema}; this one reads ${SCHEMA_VERSION}): update chatlab or choose another --db file`,
      );
    }
  } catch (error) {
    throw explain(path, error);
  } finally {
    db?.close();
  }
}

function createSchema(db: DatabaseSync): void {
  db.exec("BEGIN IMMEDIATE");
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS messages (
      id INTEGER PRIMARY KEY,
      time INTEGER NOT NULL,
      kind TEXT NOT NULL,
      sender TEXT NOT NULL,
      text TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS messages_time ON messages (time);
    INSERT OR IGNORE INTO meta (key, value) VALUES ('app', '${APP}');
    INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '${SCHEMA_VERSION}');
  `);
  db.exec("COMMIT");
}

/**
 * A one-line reason for an error from opening `path` (a missing Deno
 * permission stays itself: the CLI explains those).
 */
function explain(path: string, error: unknown): Error {
  if (error instanceof StoreError) return error;
  if (error instanceof Deno.errors.NotCapable) return error;
  const text = messageOf(error);
  const reason = /file is not a database/i.test(text)
    ? `${path} is not a chatlab database (not an SQLite file): choose another --db file (it was left untouched)`
    : /locked|busy/i.test(text)
    ? `${path} is in use by another program (another chatlab server?): stop it or choose another --db file`
    : /readonly|read-only|unable to open|permission|access/i.test(text)
    ? `Cannot write ${path}: ${text}; check that its folder exists and is writable`
    : `Cannot use ${path}: ${text}`;
  return new StoreError(reason, { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
