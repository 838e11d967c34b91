import { assertEquals, assertOk } from "./support/assert.ts";
import { Outbox, QueueLedger } from "../lib/room/outbox.ts";
import type { ByteSink } from "../lib/wire/write_all.ts";

/** A sink whose writes finish only when the test says so. */
class HeldSink implements ByteSink {
  readonly writes: Uint8Array[] = [];
  #release: (() => void)[] = [];

  write(p: Uint8Array): Promise<number> {
    this.writes.push(p.slice());
    return new Promise((resolve) =>
      this.#release.push(() => resolve(p.length))
    );
  }

  /** Lets every write under way finish. */
  finishWrites(): void {
    const release = this.#release;
    this.#release = [];
    for (const finish of release) finish();
  }
}

const bytes = (size: number) => new Uint8Array(size).fill(0x61);

/** Lets queued microtasks (and the writes they start) run. */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("Outbox writes everything sent in one turn as one batch", async () => {
  const sink = new HeldSink();
  const outbox = new Outbox(sink);
  outbox.send(bytes(3));
  outbox.send(bytes(4));
  await turn();
  assertEquals(sink.writes.map((write) => write.length), [7]);
  sink.finishWrites();
  await outbox.drained();
  assertEquals(outbox.queuedBytes, 0);
});

Deno.test("Outbox overflows once, drops what waits, and refuses more", async () => {
  const sink = new HeldSink();
  let overflows = 0;
  const ledger = new QueueLedger(1000);
  const outbox = new Outbox(sink, {
    maxQueuedBytes: 10,
    ledger,
    onOverflow: () => overflows++,
  });
  assertOk(outbox.send(bytes(6)));
  await turn(); // 6 bytes now under way
  assertOk(outbox.send(bytes(4)));
  assertEquals(outbox.send(bytes(1)), false);
  assertEquals(outbox.send(bytes(1)), false);
  assertEquals(overflows, 1);
  // The 4 waiting bytes were dropped; the 6 under way still count until written.
  assertEquals(outbox.queuedBytes, 6);
  assertEquals(ledger.total, 6);
  sink.finishWrites();
  await outbox.drained();
  assertEquals([outbox.queuedBytes, ledger.total], [0, 0]);
});

Deno.test("QueueLedger counts each outbox up to its cap", async () => {
  const ledger = new QueueLedger(5);
  const sink = new HeldSink();
  const outbox = new Outbox(sink, { ledger });
  outbox.send(bytes(100));
  assertEquals(ledger.total, 5);
  await turn();
  sink.finishWrites();
  await outbox.drained();
  assertEquals(ledger.total, 0);
});

Deno.test("QueueLedger wakes waiters one at a time, once the total is low enough", async () => {
  const ledger = new QueueLedger(1000);
  ledger.add(100);
  const woken: string[] = [];
  // Woken, the first queues 30 more at once (as a room's reader relays the
  // lines it read), so the second must wait for the next release.
  const first = ledger.waitUntilAtMost(50, 10_000).then(() => {
    woken.push("first");
    ledger.add(30);
  });
  const second = ledger.waitUntilAtMost(50, 10_000).then(() => {
    woken.push("second");
  });
  ledger.release(40); // 60 > 50: nobody wakes
  await turn();
  assertEquals(woken, []);
  ledger.release(10); // 50: the first wakes and brings the total to 80
  await first;
  await turn();
  assertEquals(woken, ["first"]);
  ledger.release(30);
  await second;
  assertEquals(woken, ["first", "second"]);
});

Deno.test("QueueLedger gives up waiting after exactly its time limit", async () => {
  const ledger = new QueueLedger(1000);
  ledger.add(100);
  // Timers fire in deadline order, so the ledger's 1000 ms limit must come
  // between markers at 900 and 1100 ms, however slow the machine is.
  const events: string[] = [];
  const before = new Promise((resolve) => setTimeout(resolve, 900))
    .then(() => events.push("900 ms"));
  ledger.waitUntilAtMost(0, 1000).then(() => events.push("ledger gave up"));
  const after = new Promise((resolve) => setTimeout(resolve, 1100))
    .then(() => events.push("1100 ms"));
  await Promise.all([before, after]);
  assertEquals(events, ["900 ms", "ledger gave up", "1100 ms"]);
  assertEquals(ledger.total, 100);
});
