/**
 * TCP connections as room members: the read loop that splits bytes into
 * lines, and a bounded, batched outgoing queue (`outbox.ts`) so that one
 * slow reader never holds up the room.
 *
 * @module
 */

import { setNoDelay } from "../cli/network.ts";
import { LineSplitter } from "../wire/line_splitter.ts";
import type { Member } from "./member.ts";
import { Outbox } from "./outbox.ts";
import type { QueueLedger } from "./queue_ledger.ts";
import { BUSY_READ_SIZE, ReadBuffer } from "./read_buffer.ts";
import type { Room, RoomSeat } from "./room.ts";
import { SharedBatch } from "./shared_batch.ts";
import * as wire from "./wire.ts";

/**
 * The most bytes the room asks for per read, from a busy member (an idle
 * one's reads are smaller: `read_buffer.ts`).
 */
export const ROOM_READ_SIZE = BUSY_READ_SIZE;

/** Options for {@linkcode TcpMember}. */
export interface TcpMemberOptions {
  /**
   * Bytes that may wait for it before it counts as stalled.
   *
   * @default {262144}
   */
  maxQueuedBytes?: number;
  /** Where its queued bytes are counted with the room's others. */
  ledger?: QueueLedger;
  /**
   * The buffer it shares with the room's other members.
   *
   * @default {undefined (its own queue)}
   */
  shared?: SharedBatch;
  /**
   * How long it gets to take its last bytes when closed.
   *
   * @default {2000}
   */
  closeGraceMs?: number;
}

/** One TCP connection, as a member of a room. */
export class TcpMember implements Member {
  /** The connection. */
  readonly conn: Deno.Conn;
  /** Its remote address. */
  readonly address: string;
  readonly #outbox: Outbox;
  readonly #closeGraceMs: number;
  /** Where its lines and endings go, from {@linkcode readInto} on. */
  #seat: RoomSeat | null = null;
  #closed = false;

  /** Wraps `conn`; nothing is read until {@linkcode readInto}. */
  constructor(conn: Deno.Conn, options: TcpMemberOptions = {}) {
    this.conn = conn;
    this.address = (conn.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    this.#closeGraceMs = options.closeGraceMs ?? 2000;
    this.#outbox = new Outbox(conn, {
      maxQueuedBytes: options.maxQueuedBytes,
      ledger: options.ledger,
      shared: options.shared,
      // It stopped reading.
      onOverflow: () => this.#seat?.drop(wire.reasons.stalled),
      // It went away. The room must hear of it: the read loop ends quietly
      // once closed.
      onWriteError: () => {
        this.#seat?.ended(wire.reasons.lost);
        this.#closeNow();
      },
    });
    setNoDelay(conn);
  }

  /** Bytes queued and not yet written. */
  get queuedBytes(): number {
    return this.#outbox.queuedBytes;
  }

  /** Queues `bytes` (owed, whatever the limit, when `catchUp`); dropped once closed. */
  deliver(bytes: Uint8Array, catchUp = false): void {
    this.#outbox.send(bytes, catchUp);
  }

  /**
   * Writes what is queued, then closes; a peer that does not take its last
   * bytes within the close grace is closed anyway.
   */
  async close(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#closeGraceMs);
    });
    await Promise.race([this.#outbox.close(), grace]);
    clearTimeout(timer);
    this.#closeNow();
  }

  /**
   * Reads lines into `seat` until the connection ends or the room closes
   * it. Waits while the room catches up, and drops a peer that sends too
   * much without a line end.
   */
  async readInto(seat: RoomSeat, room: Room): Promise<void> {
    this.#seat = seat;
    const { maxLineBytes, maxUnterminatedBytes } = room.settings;
    const splitter = new LineSplitter({ maxLineBytes });
    const buffer = new ReadBuffer();
    try {
      while (this.#open(seat)) {
        const count = await this.conn.read(buffer.current);
        if (count === null) break;
        const bytes = buffer.took(count);
        // Checked after the read: reads already under way all finish in
        // one burst, so the check must come before their lines are relayed.
        let pause = room.catchingUp();
        while (pause) {
          // Awaited directly: the room wakes waiters one at a time, each
          // after the one before has relayed its lines.
          await pause;
          // A member past its limit that still reads is waited for.
          pause = room.ledger.behind > 0 ? room.catchingUp() : undefined;
        }
        seat.heard();
        for (const frame of splitter.push(bytes)) {
          if (!this.#open(seat)) break;
          seat.receive(frame);
        }
        if (splitter.bytesWithoutLineEnd > maxUnterminatedBytes) {
          seat.drop(wire.reasons.unterminated(maxUnterminatedBytes));
        }
      }
      // The peer finished sending: a last unterminated line still counts.
      const last = this.#open(seat) ? splitter.flush() : null;
      if (last) seat.receive(last);
      seat.ended(null);
    } catch {
      // Any failed read (a reset, an abrupt close, a broken TLS handshake)
      // means the same thing here: the peer is gone, and the server goes on.
      seat.ended(wire.reasons.lost);
    } finally {
      seat.closed();
    }
  }

  /**
   * Open until the room starts closing it (a refused passphrase still
   * reads, and ignores, lines until its delayed answer).
   */
  #open(seat: RoomSeat): boolean {
    return !seat.state.closing && !this.#closed;
  }

  #closeNow(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }
}

/** Accepts TCP clients into `room` from `listener` until it is closed. */
export async function serveTcp(
  room: Room,
  listener: Deno.Listener,
): Promise<void> {
  while (true) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (error instanceof Deno.errors.BadResource) return;
      if (error instanceof Deno.errors.Interrupted) return;
      // Out of file descriptors and the like: wait, then keep serving.
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    admit(room, conn);
  }
}

/** Each room's shared buffer, made when its first TCP member comes. */
const sharedBatches = new WeakMap<Room, SharedBatch>();

function sharedBatchOf(room: Room): SharedBatch {
  let shared = sharedBatches.get(room);
  if (shared === undefined) {
    shared = new SharedBatch();
    sharedBatches.set(room, shared);
  }
  return shared;
}

function admit(room: Room, conn: Deno.Conn): void {
  const { maxQueuedBytes, closeGraceMs } = room.settings;
  const member = new TcpMember(conn, {
    maxQueuedBytes,
    closeGraceMs,
    ledger: room.ledger,
    shared: sharedBatchOf(room),
  });
  member.readInto(room.join(member), room);
}
