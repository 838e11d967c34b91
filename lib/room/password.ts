/**
 * Checking a room passphrase without leaking, through timing, how much of a
 * guess was right.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Whether `guess` equals `password`. Both are hashed first, so the comparison
 * always covers 32 bytes whatever the lengths, and every byte is compared.
 * Synchronous on purpose: the room decides before it reads the next line
 * (a name may arrive in the same packet as the passphrase).
 */
export function passwordMatches(guess: string, password: string): boolean {
  return timingSafeEqual(sha256(guess), sha256(password));
}

function sha256(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}
