/**
 * Lines that may wait a little before they are written: the notices of
 * people joining and leaving. Nobody is waiting for them, and when many
 * people come at once (a class opening the page together) each one would
 * otherwise cost every member of the room a write of its own: a thousand
 * joins, half a million writes. A receiver's outbox holds such lines for up
 * to {@linkcode LAZY_LINE_MS} and writes them together, or at once with the
 * first line that may not wait, before it: the bytes and their order on the
 * wire stay exactly the same; only how they are cut into writes changes.
 *
 * @module
 */

/** How long a lazy line may wait for company before it is written. */
export const LAZY_LINE_MS = 50;

const lazy = new WeakSet<Uint8Array>();

/** Marks `bytes` as a line that may wait (the same bytes go to everyone); returns them. */
export function lazyLine(bytes: Uint8Array): Uint8Array {
  lazy.add(bytes);
  return bytes;
}

/** Whether `bytes` may wait before they are written. */
export function isLazy(bytes: Uint8Array): boolean {
  return lazy.has(bytes);
}
