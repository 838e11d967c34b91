/**
 * The last messages, kept for members that come back after a drop (and
 * for newcomers), in a form that costs the garbage collector almost nothing: numbers in typed
 * arrays and references to strings and buffers that exist anyway. A busy
 * room says hundreds of thousands of lines a second; keeping each as an
 * object (with a view of its line) made every one outlive V8's young
 * generation and be copied out of it, a sixth of a busy room's time.
 *
 * @module
 */

import type { RoomMessage } from "./room_options.ts";

const KINDS: readonly RoomMessage["kind"][] = ["say", "action"];

/** The last `capacity` messages, oldest first, rebuilt when asked for. */
export class ReplayLog {
  readonly #capacity: number;
  readonly #ids: Float64Array;
  readonly #times: Float64Array;
  readonly #kinds: Uint8Array;
  readonly #froms: string[];
  /**
   * A text may be a slice of the string its whole read was decoded to
   * (`line_splitter.ts`), which it then keeps: at most a read (4 KiB) per
   * message, and the flood guard limits the lines of a read that are not
   * messages.
   */
  readonly #texts: string[];
  /** Each line's bytes: where they lie, not a view of them. */
  readonly #buffers: ArrayBufferLike[];
  readonly #offsets: Uint32Array;
  readonly #lengths: Uint32Array;
  /** How many are kept, and where the next one goes. */
  #count = 0;
  #next = 0;

  /** Keeps up to `capacity` messages. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot make a replay log: capacity must be a positive integer, got "${capacity}"`,
      );
    }
    this.#capacity = capacity;
    this.#ids = new Float64Array(capacity);
    this.#times = new Float64Array(capacity);
    this.#kinds = new Uint8Array(capacity);
    this.#froms = new Array(capacity).fill("");
    this.#texts = new Array(capacity).fill("");
    this.#buffers = new Array(capacity).fill(this.#ids.buffer);
    this.#offsets = new Uint32Array(capacity);
    this.#lengths = new Uint32Array(capacity);
  }

  /** How many messages are kept. */
  get length(): number {
    return this.#count;
  }

  /** Keeps `message`, forgetting the oldest when full. */
  push(message: RoomMessage): void {
    const at = this.#next;
    const { line } = message;
    this.#ids[at] = message.id;
    this.#times[at] = message.time;
    this.#kinds[at] = message.kind === "say" ? 0 : 1;
    this.#froms[at] = message.from;
    this.#texts[at] = message.text;
    this.#buffers[at] = line.buffer;
    this.#offsets[at] = line.byteOffset;
    this.#lengths[at] = line.length;
    this.#next = (at + 1) % this.#capacity;
    if (this.#count < this.#capacity) this.#count++;
  }

  /** The kept messages with an id above `id`, oldest first. */
  since(id: number): RoomMessage[] {
    let low = 0;
    let high = this.#count;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.#ids[this.#slot(middle)] <= id) low = middle + 1;
      else high = middle;
    }
    const messages: RoomMessage[] = [];
    for (let index = low; index < this.#count; index++) {
      messages.push(this.#message(this.#slot(index)));
    }
    return messages;
  }

  /** Where the `index`th oldest message is. */
  #slot(index: number): number {
    const oldest = this.#count < this.#capacity ? 0 : this.#next;
    return (oldest + index) % this.#capacity;
  }

  #message(slot: number): RoomMessage {
    return {
      id: this.#ids[slot],
      time: this.#times[slot],
      kind: KINDS[this.#kinds[slot]],
      from: this.#froms[slot],
      text: this.#texts[slot],
      line: new Uint8Array(
        this.#buffers[slot],
        this.#offsets[slot],
        this.#lengths[slot],
      ),
    };
  }
}
