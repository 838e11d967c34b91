/**
 * A small seeded random number generator for property and fuzz tests, so a
 * failure replays exactly: every failure message names its seed.
 *
 * The seed is fixed, so CI sees the same cases every run. To explore other
 * cases, set `CHATLAB_SEED` to a number, or to `random` for a fresh one:
 *
 * ```sh
 * CHATLAB_SEED=random deno test --allow-net=127.0.0.1 --allow-read --allow-env tests/fuzz_test.ts
 * ```
 *
 * @module
 */

/** The seed used when `CHATLAB_SEED` is not set. */
export const DEFAULT_SEED = 0x5eed_c4a7;

/** The environment variable that overrides {@linkcode DEFAULT_SEED}. */
export const SEED_VARIABLE = "CHATLAB_SEED";

/** mulberry32: 32 bits of state, fast, and good enough to pick test cases. */
export class Random {
  /** The seed this generator started from. */
  readonly seed: number;
  #state: number;

  /** Starts a generator from `seed` (any 32-bit integer). */
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** An integer from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One of `items`, each equally likely. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
}

/** The seed for this run: `CHATLAB_SEED` if set (a number or `random`), else {@linkcode DEFAULT_SEED}. */
export function testSeed(): number {
  const text = readSeedVariable();
  if (text === undefined || text === "") return DEFAULT_SEED;
  if (text === "random") return (Math.random() * 0x1_0000_0000) >>> 0;
  const seed = Number(text);
  if (!Number.isInteger(seed)) {
    throw new RangeError(
      `${SEED_VARIABLE} must be an integer or "random", got "${text}"`,
    );
  }
  return seed >>> 0;
}

/** Options for {@linkcode forEachCase}. */
export interface ForEachCaseOptions {
  /** How many cases to run. */
  cases: number;
  /**
   * The seed of the whole run.
   *
   * @default {testSeed()}
   */
  seed?: number;
}

/**
 * Runs `check` once per case, each with its own generator derived from the
 * run's seed. A failure is rethrown with the seed and case number added, and
 * the command that replays it.
 */
export function forEachCase(
  options: ForEachCaseOptions,
  check: (random: Random, caseNumber: number) => void,
): void {
  const seed = options.seed ?? testSeed();
  const random = new Random(seed);
  for (let caseNumber = 0; caseNumber < options.cases; caseNumber++) {
    const caseRandom = new Random(random.int(0, 0xffff_ffff));
    try {
      check(caseRandom, caseNumber);
    } catch (error) {
      throw withSeed(error, seed, caseNumber);
    }
  }
}

/** Like {@linkcode forEachCase}, for checks that await. */
export async function forEachCaseAsync(
  options: ForEachCaseOptions,
  check: (random: Random, caseNumber: number) => Promise<void>,
): Promise<void> {
  const seed = options.seed ?? testSeed();
  const random = new Random(seed);
  for (let caseNumber = 0; caseNumber < options.cases; caseNumber++) {
    const caseRandom = new Random(random.int(0, 0xffff_ffff));
    try {
      await check(caseRandom, caseNumber);
    } catch (error) {
      throw withSeed(error, seed, caseNumber);
    }
  }
}

function withSeed(error: unknown, seed: number, caseNumber: number): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(
    `Failed at case ${caseNumber} of seed ${seed} (replay with ${SEED_VARIABLE}=${seed}): ${message}`,
    { cause: error },
  );
}

function readSeedVariable(): string | undefined {
  const permission = Deno.permissions.querySync({
    name: "env",
    variable: SEED_VARIABLE,
  });
  return permission.state === "granted"
    ? Deno.env.get(SEED_VARIABLE)
    : undefined;
}
