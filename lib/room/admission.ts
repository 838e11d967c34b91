/**
 * Who may join: the room's total and per-address limits, counted as members
 * join and are forgotten.
 *
 * @module
 */

import * as wire from "./wire.ts";

/** Counts members, in all and per address, against the room's limits. */
export class Admission {
  readonly #maxClients: number;
  readonly #maxPerAddress: number;
  readonly #perAddress = new Map<string, number>();
  #total = 0;

  /** Limits of `maxClients` in all and `maxPerAddress` from one address. */
  constructor(maxClients: number, maxPerAddress: number) {
    this.#maxClients = maxClients;
    this.#maxPerAddress = maxPerAddress;
  }

  /**
   * Counts a member from `address` (refused ones too, until released), and
   * gives the reason to refuse it, or `null` to let it in.
   */
  count(address: string): string | null {
    const fromAddress = (this.#perAddress.get(address) ?? 0) + 1;
    this.#perAddress.set(address, fromAddress);
    this.#total++;
    if (this.#total > this.#maxClients) {
      return wire.reasons.full(this.#maxClients);
    }
    if (fromAddress > this.#maxPerAddress) {
      return wire.reasons.tooManyFrom(address, this.#maxPerAddress);
    }
    return null;
  }

  /** Stops counting a member from `address`. */
  release(address: string): void {
    this.#total--;
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }
}
