/**
 * The room's lines that a reconnecting client answers by itself
 * (PROTOCOL.md, "Reconnecting"), recognised in one place: a message's id
 * tag, the session token, acknowledgements, and the answer to coming back.
 * Everything else is only shown.
 *
 * @module
 */

/** `[7] <ann> hi` as `[7, "<ann> hi"]`; a line without an id as `[null, line]`. */
export function untag(text: string): [number | null, string] {
  const tagged = text.match(/^\[(\d+)\] (.*)$/s);
  return tagged ? [Number(tagged[1]), tagged[2]] : [null, text];
}

/** The token of a `*** Session TOKEN` line; `null` for any other line. */
export function sessionToken(text: string): string | null {
  return text.match(/^\*\*\* Session (\S+)$/)?.[1] ?? null;
}

/** The number of the line a `*** Ack SEQ ID` line acknowledges; `null` for any other. */
export function ackedSeq(text: string): number | null {
  const match = text.match(/^\*\*\* Ack (\d+) (\d+|-)$/);
  return match ? Number(match[1]) : null;
}

/** How many missed messages a `*** Resumed NAME; N missed` line announces; `null` for any other. */
export function resumedMissed(text: string): number | null {
  const match = text.match(/^\*\*\* Resumed \S+; (\d+) missed/);
  return match ? Number(match[1]) : null;
}

/** Whether the room no longer knows the session (it restarted without `--db`). */
export function sessionEnded(text: string): boolean {
  return text.startsWith("*** Error: That session has ended");
}

/** Whether the room accepted the passphrase the client sent by itself. */
export function passwordAccepted(text: string): boolean {
  return /^\*\*\* Password accepted/.test(text);
}

/** Whether the room is closing the connection, with its reason. */
export function disconnected(text: string): boolean {
  return text.startsWith("*** Disconnected:");
}

/**
 * Whether the room dropped this client for reading too slowly (the
 * terminal was suspended, say): its session waits, so it comes back.
 */
export function droppedAsSlow(text: string): boolean {
  return text === "*** Disconnected: not reading messages fast enough";
}
