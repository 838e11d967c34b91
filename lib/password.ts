/**
 * Checking a room passphrase without leaking, through timing, how much of a
 * guess was right.
 *
 * @module
 */

/** How long a wrong passphrase is made to wait before the answer, against guessing. */
export const WRONG_PASSWORD_DELAY_MS = 2000;

const encoder = new TextEncoder();

/**
 * Whether `guess` equals `password`. Both are hashed first, so the comparison
 * always covers 32 bytes whatever the lengths, and every byte is compared.
 */
export async function passwordMatches(
  guess: string,
  password: string,
): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(guess), sha256(password)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(text)),
  );
}
