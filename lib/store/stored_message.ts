/**
 * A message as the store keeps it, and as a row of the `messages` table
 * (whose column is `sender`: `from` is a word SQL keeps for itself).
 *
 * @module
 */

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

/** A row of the `messages` table. */
export interface Row {
  /** The message's id. */
  id: number;
  /** When it was said, in milliseconds since 1970. */
  time: number;
  /** A plain message, or a `/me` action. */
  kind: "say" | "action";
  /** Who said it. */
  sender: string;
  /** What they said. */
  text: string;
}

/** The message a row of `messages` holds. */
export function fromRow(row: Row): StoredMessage {
  return {
    id: row.id,
    time: row.time,
    kind: row.kind,
    from: row.sender,
    text: row.text,
  };
}
