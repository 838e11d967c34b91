import { assertEquals, assertOk } from "./support/assert.ts";
import { Outbox } from "../lib/room/outbox.ts";
import { QueueLedger } from "../lib/room/queue_ledger.ts";
import { SharedBatch } from "../lib/room/shared_batch.ts";
import { LAZY_LINE_MS } from "../lib/room/lazy_lines.ts";
import { joinedLine, leftLine } from "../lib/room/wire.ts";
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
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

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

Deno.test("Outbox past its limit but still taking bytes falls behind, and is dropped at twice the limit", async () => {
  const sink = new HeldSink();
  let overflows = 0;
  const ledger = new QueueLedger(1000);
  const outbox = new Outbox(sink, {
    maxQueuedBytes: 10,
    stallMs: 60_000,
    ledger,
    onOverflow: () => overflows++,
  });
  assertOk(outbox.send(bytes(6)));
  await turn(); // 6 bytes now under way
  assertOk(outbox.send(bytes(4)));
  assertEquals(ledger.behind, 0);
  // 11 bytes: past the limit of 10, but it took its last bytes just now.
  assertOk(outbox.send(bytes(1)));
  assertEquals([ledger.behind, overflows], [1, 0]);
  assertOk(outbox.send(bytes(9))); // 20: twice the limit, still kept
  assertEquals(outbox.send(bytes(1)), false); // 21: dropped
  assertEquals(outbox.send(bytes(1)), false);
  assertEquals([overflows, ledger.behind], [1, 0]);
  // What waited was dropped; the 6 under way still count until written.
  assertEquals(outbox.queuedBytes, 6);
  assertEquals(ledger.total, 6);
  sink.finishWrites();
  await outbox.drained();
  assertEquals([outbox.queuedBytes, ledger.total], [0, 0]);
});

Deno.test("Outbox behind its limit catches up once half its limit is left", async () => {
  const sink = new HeldSink();
  const ledger = new QueueLedger(1000);
  const outbox = new Outbox(sink, { maxQueuedBytes: 10, ledger });
  outbox.send(bytes(8));
  await turn(); // 8 bytes under way
  outbox.send(bytes(4)); // 12: behind
  assertEquals(ledger.behind, 1);
  sink.finishWrites(); // the 8 are taken; the 4 go out
  await turn();
  assertEquals([outbox.queuedBytes, ledger.behind], [4, 0]);
  sink.finishWrites();
  await outbox.drained();
});

Deno.test("Outbox past its limit that takes nothing for its stall time is dropped", async () => {
  const sink = new HeldSink();
  let overflows = 0;
  const ledger = new QueueLedger(1000);
  const outbox = new Outbox(sink, {
    maxQueuedBytes: 10,
    stallMs: 30,
    ledger,
    onOverflow: () => overflows++,
  });
  outbox.send(bytes(6));
  await turn(); // 6 bytes under way, never taken
  outbox.send(bytes(6)); // 12: behind, for now
  assertEquals([ledger.behind, overflows], [1, 0]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assertEquals([ledger.behind, overflows, outbox.queuedBytes], [0, 1, 6]);
  assertEquals(outbox.send(bytes(1)), false);
  sink.finishWrites();
  await outbox.drained();
});

Deno.test("Outbox reaching its limit after taking nothing for its stall time is dropped at once", async () => {
  const sink = new HeldSink();
  let overflows = 0;
  const ledger = new QueueLedger(1000);
  const outbox = new Outbox(sink, {
    maxQueuedBytes: 10,
    stallMs: 30,
    ledger,
    onOverflow: () => overflows++,
  });
  outbox.send(bytes(6));
  await new Promise((resolve) => setTimeout(resolve, 100)); // never taken
  assertEquals(outbox.send(bytes(6)), false);
  assertEquals([ledger.behind, overflows], [0, 1]);
  sink.finishWrites();
  await outbox.drained();
});

Deno.test("SharedBatch copies bytes once, when they are delivered a second time", () => {
  const shared = new SharedBatch();
  const encode = (line: string) => new TextEncoder().encode(line);
  const [a, b, c] = ["<a> 1\n", "<b> 2\n", "<a> 3\n"].map(encode);
  const where = () => [shared.start, shared.end];
  assertEquals(shared.place(a), false); // one receiver so far: queued as it is
  assertEquals(shared.place(a), true);
  assertEquals(where(), [0, 6]);
  assertEquals(shared.place(a), true);
  assertEquals(where(), [0, 6]);
  assertEquals(shared.place(b), false);
  assertEquals(shared.place(c), false);
  assertEquals(shared.place(c), true);
  assertEquals(where(), [6, 12]); // b, sent to one receiver, took no room
  const chunk = shared.chunk;
  assertEquals(
    new TextDecoder().decode(chunk.subarray(0, 12)),
    "<a> 1\n<a> 3\n",
  );
  assertEquals(shared.place(a), true); // a is still among the last two placed
  assertEquals([shared.chunk === chunk, ...where()], [true, 0, 6]);
});

Deno.test("Outboxes sharing a batch write what a turn brought in one write; a sender's own line is skipped", async () => {
  const shared = new SharedBatch();
  const sinks = [new HeldSink(), new HeldSink(), new HeldSink()];
  const [first, second, sender] = sinks.map((sink) =>
    new Outbox(sink, { shared })
  );
  const [a, b, c] = ["<a> 1\n", "<b> 2\n", "<a> 3\n"].map((line) =>
    new TextEncoder().encode(line)
  );
  // The sender is b: it is not sent its own line.
  for (const outbox of [first, second, sender]) outbox.send(a);
  first.send(b);
  second.send(b);
  for (const outbox of [first, second, sender]) outbox.send(c);
  await turn();
  const text = (write: Uint8Array) => new TextDecoder().decode(write);
  assertEquals(sinks.map((sink) => sink.writes.map(text)), [
    ["<a> 1\n<b> 2\n<a> 3\n"],
    ["<a> 1\n<b> 2\n<a> 3\n"],
    ["<a> 1\n<a> 3\n"],
  ]);
  for (const sink of sinks) sink.finishWrites();
  await Promise.all([first.drained(), second.drained(), sender.drained()]);
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

Deno.test("Outboxes sharing a batch hold join and leave notices for up to LAZY_LINE_MS, then write them in one write", async () => {
  const shared = new SharedBatch();
  const sinks = [new HeldSink(), new HeldSink()];
  const outboxes = sinks.map((sink) => new Outbox(sink, { shared }));
  const started = performance.now();
  const joined = [joinedLine("alice"), joinedLine("bob")];
  const left = leftLine("carol", "connection lost");
  for (const line of [...joined, left]) {
    for (const outbox of outboxes) outbox.send(line);
  }
  await turn();
  assertEquals(sinks.map((sink) => sink.writes.length), [0, 0]);
  while (sinks.some((sink) => sink.writes.length === 0)) await turn();
  const waited = performance.now() - started;
  assertOk(waited >= LAZY_LINE_MS - 5, `written after ${waited} ms`);
  const expected = "*** alice joined\n*** bob joined\n" +
    "*** carol left (connection lost)\n";
  for (const sink of sinks) {
    assertEquals(sink.writes.map((write) => decode(write)), [expected]);
    sink.finishWrites();
  }
  for (const outbox of outboxes) await outbox.drained();
});

Deno.test("Outbox writes held notices at once, before it, when a line that may not wait comes; and on close", async () => {
  const shared = new SharedBatch();
  const sink = new HeldSink();
  const outbox = new Outbox(sink, { shared });
  outbox.send(joinedLine("alice"));
  await turn();
  assertEquals(sink.writes.length, 0);
  outbox.send(new TextEncoder().encode("<alice> hi\n"));
  await turn();
  assertEquals(sink.writes.map((write) => decode(write)), [
    "*** alice joined\n<alice> hi\n",
  ]);
  sink.finishWrites();
  await outbox.drained();

  const closing = new Outbox(sink, { shared });
  closing.send(leftLine("alice", null));
  await turn();
  const started = performance.now();
  const closed = closing.close();
  await turn();
  sink.finishWrites();
  await closed;
  assertOk(performance.now() - started < LAZY_LINE_MS, "close did not wait");
  assertEquals(decode(sink.writes.at(-1)!), "*** alice left\n");
});

Deno.test("Outbox without a shared batch writes notices at the end of the turn, as any line", async () => {
  const sink = new HeldSink();
  const outbox = new Outbox(sink);
  outbox.send(joinedLine("alice"));
  await turn();
  assertEquals(sink.writes.map((write) => decode(write)), [
    "*** alice joined\n",
  ]);
  sink.finishWrites();
  await outbox.drained();
});
