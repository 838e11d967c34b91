/**
 * Giving memory back after a burst. A room's busy moments (a class joining
 * at once, a flood) grow V8's heap, then the class sits mostly idle. V8 has
 * a "memory reducer" that shrinks the heap once a program goes quiet, but in
 * Deno 2.9.6 it does not run while the event loop waits: measured, a room
 * left idle after 10,000 joins kept a heap of 220 to 250 MiB for 30 s while
 * the objects in it took 66 MiB. So the server does what the reducer would:
 * when the heap's objects have barely grown for a moment and the heap has at
 * least doubled since the last collection, it asks V8 for one collection
 * that gives memory back.
 *
 * @module
 */

import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** What the reclaimer reads of the heap. */
export interface HeapReading {
  /** Bytes the heap's objects take, live or garbage not yet collected. */
  usedBytes: number;
  /** Bytes the heap holds from the system now. */
  heapBytes: number;
}

/** Options for {@linkcode MemoryReclaimer}. */
export interface MemoryReclaimerOptions {
  /**
   * Reads the heap.
   *
   * @default {V8's heap statistics}
   */
  readHeap?: () => HeapReading;
  /**
   * Collects garbage and gives the freed memory back.
   *
   * @default {V8's memory-reducing full collection}
   */
  collect?: () => void;
  /**
   * The heap's objects growing by less than this between two checks (and
   * no collection in between) counts as quiet, bytes. A room that relays a
   * few lines a second grows its heap by less; one that is busy, by more.
   *
   * @default {1048576}
   */
  quietBytes?: number;
  /**
   * Collect only when the heap has grown by more than this since the last
   * collection (or the start), bytes, and to at least twice its size then:
   * a collection takes from a few milliseconds (a class) to a few hundred
   * (10,000 members), so it is worth it only after a burst.
   *
   * @default {8388608}
   */
  growthBytes?: number;
}

/** Decides, one check at a time, when a quiet program should collect. */
export class MemoryReclaimer {
  readonly #readHeap: () => HeapReading;
  readonly #collect: () => void;
  readonly #quietBytes: number;
  readonly #growthBytes: number;
  #usedAtLastCheck: number;
  #heapAfterCollection: number;
  /**
   * Where growth was measured from before the collection at the last
   * check: back in force if the burst goes on (that collection was not its
   * end), else `null`.
   */
  #baseBeforeCollection: number | null = null;

  /** Starts from the heap as it is now. */
  constructor(options: MemoryReclaimerOptions = {}) {
    this.#readHeap = options.readHeap ?? readV8Heap;
    this.#collect = options.collect ?? collectV8Garbage;
    this.#quietBytes = options.quietBytes ?? 1024 * 1024;
    this.#growthBytes = options.growthBytes ?? 8 * 1024 * 1024;
    const heap = this.#readHeap();
    this.#usedAtLastCheck = heap.usedBytes;
    this.#heapAfterCollection = heap.heapBytes;
  }

  /** Looks at the heap once and collects if due; returns whether it did. */
  check(): boolean {
    const heap = this.#readHeap();
    // Fewer used bytes than last time means a collection ran, which only
    // allocating makes V8 do: not quiet.
    const grown = heap.usedBytes - this.#usedAtLastCheck;
    const quiet = grown >= 0 && grown < this.#quietBytes;
    this.#usedAtLastCheck = heap.usedBytes;
    // Collected at the last check, and busy since: a lull in the middle of
    // the burst. Measured from the heap before the collection, the end of
    // the burst is still worth a collection however big the lull's was
    // (late in 10,000 joins, a lull's can leave the end's heap short of
    // double its own).
    if (this.#baseBeforeCollection !== null && !quiet) {
      this.#heapAfterCollection = this.#baseBeforeCollection;
    }
    this.#baseBeforeCollection = null;
    // A heap that shrank by itself: the next growth is measured from here.
    this.#heapAfterCollection = Math.min(
      this.#heapAfterCollection,
      heap.heapBytes,
    );
    if (!quiet || !this.#grownMuch(heap.heapBytes)) return false;
    this.#collect();
    const after = this.#readHeap();
    this.#baseBeforeCollection = this.#heapAfterCollection;
    this.#heapAfterCollection = after.heapBytes;
    this.#usedAtLastCheck = after.usedBytes;
    return true;
  }

  #grownMuch(heapBytes: number): boolean {
    const before = this.#heapAfterCollection;
    return heapBytes - before > this.#growthBytes && heapBytes >= 2 * before;
  }
}

/** Options for {@linkcode reclaimMemoryWhenQuiet}. */
export interface ReclaimOptions extends MemoryReclaimerOptions {
  /**
   * Milliseconds between checks; quiet means quiet for this long.
   *
   * @default {250}
   */
  intervalMs?: number;
}

/**
 * Checks the heap every `intervalMs` for as long as the program runs
 * (the timer never keeps it running); dispose to stop.
 */
export function reclaimMemoryWhenQuiet(
  options: ReclaimOptions = {},
): Disposable {
  const reclaimer = new MemoryReclaimer(options);
  const timer = setInterval(() => reclaimer.check(), options.intervalMs ?? 250);
  Deno.unrefTimer(timer);
  return { [Symbol.dispose]: () => clearInterval(timer) };
}

function readV8Heap(): HeapReading {
  const stats = getHeapStatistics();
  return {
    usedBytes: stats.used_heap_size,
    heapBytes: stats.total_heap_size,
  };
}

type V8Collect = (options: object) => void;
let v8Collect: V8Collect | undefined;

/**
 * A full collection of the kind V8 runs before giving up for lack of
 * memory: it also shrinks the young generation, which a plain one keeps.
 * V8 offers it as `gc` where `--expose-gc` was set at startup (as
 * `deno task server` does); elsewhere it exists only in a context made
 * after the flag is set, hence the new context (made once, about 1 MiB).
 */
function collectV8Garbage(): void {
  v8Collect ??= (globalThis as { gc?: V8Collect }).gc ?? exposeGc();
  v8Collect({ type: "major", flavor: "last-resort" });
}

function exposeGc(): V8Collect {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc");
}
