/**
 * The file's layout and how chatlab opens one safely: the schema, and the
 * refusals that leave a file untouched. An existing file is looked at
 * read-only before anything writes to it, so a wrong `--db` (someone else's
 * database, a file from a newer chatlab, one another program holds) costs
 * nothing but a one-line message.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/** The schema this chatlab writes; a file with a higher one is refused. */
export const SCHEMA_VERSION = 1;

/** What `meta.app` holds in a chatlab database. */
const APP = "chatlab";

/** A database file that chatlab can't or won't use; the message says why, in one line. */
export class StoreError extends Error {
  /** Makes the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
  }
}

/**
 * Looks at an existing file without writing to it: refuses one that isn't
 * SQLite, is someone else's database, or comes from a newer chatlab.
 */
export function inspectExisting(path: string): void {
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

/** Creates the tables (and marks the file as chatlab's) if they are missing. */
export function createSchema(db: DatabaseSync): void {
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
    DROP INDEX IF EXISTS messages_time;
    CREATE TABLE IF NOT EXISTS sessions (
      token TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      last_seq INTEGER NOT NULL
    );
    INSERT OR IGNORE INTO meta (key, value) VALUES ('app', '${APP}');
    INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '${SCHEMA_VERSION}');
  `);
  db.exec("COMMIT");
}

/**
 * A one-line reason for an error from opening `path` (a missing Deno
 * permission stays itself: the CLI explains those).
 */
export function explain(path: string, error: unknown): Error {
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

/** The message of `error`, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
