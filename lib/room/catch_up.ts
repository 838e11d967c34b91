/**
 * Backpressure for the whole room: when its members, together, have far
 * more queued than they have taken, transports wait before relaying new
 * lines, so a burst from many senders is slowed down instead of
 * overflowing every queue.
 *
 * @module
 */

import { QueueLedger } from "./queue_ledger.ts";

/**
 * Reading pauses while the room's members are, on average, more than half
 * of this behind (each counted for at most this much, and never more than
 * half its queue limit): a burst waits instead of overflowing every queue.
 */
export const CATCH_UP_BYTES_PER_CLIENT = 32 * 1024;

/** The longest a pause lasts; then reading goes on and stalled queues overflow. */
export const MAX_PAUSE_MS = 1000;

/** A ledger for a room whose members may each queue `maxQueuedBytes`. */
export function roomLedger(maxQueuedBytes: number): QueueLedger {
  return new QueueLedger(
    Math.min(CATCH_UP_BYTES_PER_CLIENT, maxQueuedBytes / 2),
  );
}

/**
 * Resolves at once unless `members` have queued far more than they have
 * taken, or one of them is past its queue limit but still reading; then
 * when they have caught up. Stalled members never pause the room for long
 * (each counts for at most a busy member's share of the total, and one past
 * its limit that takes nothing is dropped), and no pause lasts longer than
 * {@linkcode MAX_PAUSE_MS}: while a member is still past its limit after
 * one, the transport waits again (as long as it keeps reading).
 */
export function catchingUp(
  ledger: QueueLedger,
  members: number,
): Promise<void> | void {
  const highWater = members * ledger.perOutboxCap / 2;
  if (ledger.total <= highWater && ledger.behind === 0) return;
  return ledger.waitUntilAtMost(highWater / 2, MAX_PAUSE_MS);
}
