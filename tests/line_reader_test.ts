import { assertEquals, assertOk } from "./support/assert.ts";
import {
  type ByteSource,
  LineReader,
  READ_SIZE,
  UNTERMINATED_MESSAGE_WAIT_MS,
} from "../lib/wire/line_reader.ts";
import type { Frame } from "../lib/wire/line_splitter.ts";
import { writeAll } from "../lib/wire/write_all.ts";
import { WAIT_MS, withTimeout } from "./support/wait.ts";

const encoder = new TextEncoder();

function line(text: string): Frame {
  return { kind: "line", text };
}

/**
 * A byte source that gives out exactly the chunks a test queued, one per
 * read, and `null` for end of stream. A read of a queued chunk resolves at
 * once, so a reader that waits for it can never time out first; a read with
 * nothing queued waits until the test queues something.
 */
class ScriptedSource implements ByteSource {
  /** How many reads have been asked for. */
  reads = 0;
  /** The sizes of buffer the reader passed. */
  readonly bufferSizes: number[] = [];
  #chunks: (Uint8Array | null)[] = [];
  #waiting: ((chunk: Uint8Array | null) => void) | null = null;

  constructor(...chunks: (string | Uint8Array | null)[]) {
    this.queue(...chunks);
  }

  /** Adds chunks; a waiting read takes the first at once. */
  queue(...chunks: (string | Uint8Array | null)[]): void {
    for (const chunk of chunks) {
      this.#chunks.push(
        typeof chunk === "string" ? encoder.encode(chunk) : chunk,
      );
    }
    const waiting = this.#waiting;
    if (waiting && this.#chunks.length > 0) {
      this.#waiting = null;
      waiting(this.#chunks.shift()!);
    }
  }

  /** Resolves once the reader has asked for `count` reads. */
  async untilReadsAsked(count: number): Promise<void> {
    while (this.reads < count) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  read(p: Uint8Array): Promise<number | null> {
    this.reads++;
    this.bufferSizes.push(p.length);
    const fill = (chunk: Uint8Array | null) => {
      if (chunk === null) return null;
      if (chunk.length > p.length) {
        this.#chunks.unshift(chunk.subarray(p.length));
      }
      const count = Math.min(chunk.length, p.length);
      p.set(chunk.subarray(0, count));
      return count;
    };
    if (this.#chunks.length > 0) {
      return Promise.resolve(fill(this.#chunks.shift()!));
    }
    return new Promise((resolve) => {
      this.#waiting = (chunk) => resolve(fill(chunk));
    });
  }
}

Deno.test("LineReader reads one message that came in two reads", async () => {
  const source = new ScriptedSource("hel", "lo\n", null);
  const reader = new LineReader(source);
  assertEquals(await reader.readFrame(), line("hello"));
  assertEquals(source.reads, 2);
  assertEquals(await reader.readFrame(), null);
});

Deno.test("LineReader reads two messages that came in one read", async () => {
  const source = new ScriptedSource("one\ntwo\n", null);
  const reader = new LineReader(source);
  assertEquals(await reader.readFrame(), line("one"));
  assertEquals(await reader.readFrame(), line("two"));
  assertEquals(source.reads, 1);
  assertEquals(await reader.readFrame(), null);
});

Deno.test("LineReader joins a multi-byte character split across reads", async () => {
  const encoded = encoder.encode("é😀\n");
  for (let cut = 1; cut < encoded.length - 1; cut++) {
    const source = new ScriptedSource(
      encoded.subarray(0, cut),
      encoded.subarray(cut),
      null,
    );
    assertEquals(
      await new LineReader(source).readFrame(),
      line("é😀"),
      `cut at ${cut}`,
    );
  }
});

Deno.test("LineReader reads READ_SIZE bytes at a time", async () => {
  const long = "x".repeat(3000);
  const source = new ScriptedSource(long + "\n", null);
  const reader = new LineReader(source, { maxLineBytes: 4000 });
  assertEquals(await reader.readFrame(), line(long));
  assertEquals(source.bufferSizes[0], READ_SIZE);
  assertEquals(source.reads, 3);
});

Deno.test("LineReader returns a last line without LF at end of stream", async () => {
  const source = new ScriptedSource("first\nla", "st", null);
  const reader = new LineReader(source);
  assertEquals(await reader.readFrame(), line("first"));
  assertEquals(await reader.readFrame(), line("last"));
  assertEquals(await reader.readFrame(), null);
  assertEquals(await reader.readFrame(), null);
});

Deno.test("LineReader reports an oversize line and goes on", async () => {
  const source = new ScriptedSource("abcdef\nok\n", null);
  const reader = new LineReader(source, { maxLineBytes: 4 });
  assertEquals(await reader.readFrame(), { kind: "oversize", bytes: 6 });
  assertEquals(await reader.readFrame(), line("ok"));
});

/** A wait no test lasts: a reader that used it would hit the hang guard. */
const FOREVER_MS = 3_600_000;

Deno.test("LineReader.readMessage takes a read without LF as one whole message once this side answers", async () => {
  // The lesson's programs send `message.encode()`, no LF, and one recv(1024)
  // is one message to them. A lesson program then waits for our message, so
  // our answer ends its message: no wait.
  const source = new ScriptedSource("hello");
  const reader = new LineReader(source);
  const first = reader.readMessage({ unterminatedWaitMs: FOREVER_MS });
  await withTimeout(source.untilReadsAsked(2), "the wait for more");
  reader.messageSent();
  assertEquals(await withTimeout(first, "the message"), line("hello"));
  // Known now to send messages without LF: the next read is one, at once.
  source.queue("again", null);
  assertEquals(
    await withTimeout(
      reader.readMessage({ unterminatedWaitMs: FOREVER_MS }),
      "again",
    ),
    line("again"),
  );
  assertEquals(await reader.readMessage(), null);
});

Deno.test("LineReader.readMessage joins a first message split by the network, which may be a line's start", async () => {
  // chatlab's own line, cut in pieces by a network (or by the fault proxy):
  // until the peer shows which kind it is, pieces are joined.
  const source = new ScriptedSource("hel", "lo th", "ere\n");
  const reader = new LineReader(source);
  assertEquals(
    await withTimeout(
      reader.readMessage({ unterminatedWaitMs: FOREVER_MS }),
      "the line",
    ),
    line("hello there"),
  );
});

Deno.test("LineReader.readMessage keeps two quick messages from the lesson apart, read by read", async () => {
  // The lesson's server with piped input: its second message comes a few
  // milliseconds after it read ours, each in its own read.
  const source = new ScriptedSource("s1 from lesson");
  const reader = new LineReader(source);
  const options = { unterminatedWaitMs: FOREVER_MS };
  const first = reader.readMessage(options);
  await withTimeout(source.untilReadsAsked(2), "the wait for more");
  reader.messageSent();
  source.queue("s2 héllo", null);
  assertEquals(await withTimeout(first, "s1"), line("s1 from lesson"));
  assertEquals(await reader.readMessage(options), line("s2 héllo"));
  assertEquals(await reader.readMessage(options), null);
});

Deno.test("LineReader.readMessage joins a read that filled all 1024 bytes with what follows", async () => {
  const full = "x".repeat(1024);
  const source = new ScriptedSource(full, "y".repeat(476), "z".repeat(100));
  const reader = new LineReader(source, { maxLineBytes: 4096 });
  // Queued reads resolve at once; only the last, never queued, needs the
  // wait. The 476-byte read is joined too: it continues a full one.
  assertEquals(
    await reader.readMessage({ unterminatedWaitMs: 10 }),
    line(full + "y".repeat(476) + "z".repeat(100)),
  );
  assertEquals(source.bufferSizes[0], 1024);
  source.queue("next", null);
  assertEquals(await reader.readMessage(), line("next"));
});

Deno.test("LineReader.readMessage joins a line split across reads once the peer has sent a LF", async () => {
  // The second read resolves at once and the wait is 0 ms: a resolved read
  // always wins over a timer, however slow the machine.
  const source = new ScriptedSource("one\n", "hel", "lo\n", null);
  const reader = new LineReader(source);
  const options = { unterminatedWaitMs: 0 };
  assertEquals(await reader.readMessage(options), line("one"));
  assertEquals(await reader.readMessage(options), line("hello"));
  assertEquals(await reader.readMessage(options), null);
});

Deno.test("LineReader.readMessage takes a LF sent on its own as the end of the message before", async () => {
  const source = new ScriptedSource("hello", "\n", "world", "\r\n", null);
  const reader = new LineReader(source);
  assertEquals(await reader.readMessage(), line("hello"));
  // The LF has shown this peer ends its lines: "world" waits for its CRLF,
  // which comes at once.
  assertEquals(
    await reader.readMessage({ unterminatedWaitMs: FOREVER_MS }),
    line("world"),
  );
  assertEquals(await reader.readMessage(), null);
});

Deno.test("LineReader.readMessage returns an unterminated message at end of stream", async () => {
  const source = new ScriptedSource("bye", null);
  const reader = new LineReader(source);
  // The end of stream comes at once: no need to wait 250 ms.
  assertEquals(await reader.readMessage(), line("bye"));
  assertEquals(await reader.readMessage(), null);
});

Deno.test("UNTERMINATED_MESSAGE_WAIT_MS is the documented 250 ms", () => {
  assertEquals(UNTERMINATED_MESSAGE_WAIT_MS, 250);
});

/** A real TCP connection over 127.0.0.1: `ours` to read, `theirs` to write. */
async function socketPair(): Promise<
  { ours: Deno.TcpConn; theirs: Deno.TcpConn } & Disposable
> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [ours, theirs] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
  ]);
  return {
    ours,
    theirs,
    [Symbol.dispose]() {
      for (const conn of [ours, theirs]) {
        try {
          conn.close();
        } catch {
          // Already closed by the test.
        }
      }
    },
  };
}

/** Wraps a connection to let a test wait until the reader has read. */
class ObservedSource implements ByteSource {
  readonly #conn: Deno.Conn;
  #completed = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** How many reads have completed. */
  get completed(): number {
    return this.#completed;
  }

  async read(p: Uint8Array): Promise<number | null> {
    const count = await this.#conn.read(p);
    this.#completed++;
    for (const waiter of this.#waiters) {
      if (this.#completed >= waiter.count) waiter.resolve();
    }
    return count;
  }

  /** Resolves once `count` reads have completed. */
  readsCompleted(count: number): Promise<void> {
    if (this.#completed >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}

async function send(conn: Deno.Conn, text: string | Uint8Array) {
  await writeAll(conn, typeof text === "string" ? encoder.encode(text) : text);
}

Deno.test("LineReader over TCP reads one message that came in two reads", async () => {
  using pair = await socketPair();
  const source = new ObservedSource(pair.ours);
  const reader = new LineReader(source);
  await send(pair.theirs, "hel");
  const frame = reader.readFrame();
  // The rest is sent only after the reader has read the first part.
  await withTimeout(source.readsCompleted(1), "the first read");
  await send(pair.theirs, "lo\n");
  assertEquals(await withTimeout(frame, "the frame"), line("hello"));
  assertOk(source.completed >= 2, `${source.completed} reads`);
});

Deno.test("LineReader over TCP reads two messages that came in one read", async () => {
  using pair = await socketPair();
  const source = new ObservedSource(pair.ours);
  const reader = new LineReader(source);
  await send(pair.theirs, "one\ntwo\n");
  assertEquals(await withTimeout(reader.readFrame(), "one"), line("one"));
  assertEquals(await withTimeout(reader.readFrame(), "two"), line("two"));
  // One small write on loopback arrives whole, in one read.
  assertEquals(source.completed, 1);
});

Deno.test("LineReader over TCP joins a character split across reads", async () => {
  using pair = await socketPair();
  const source = new ObservedSource(pair.ours);
  const reader = new LineReader(source);
  const encoded = encoder.encode("😀\n");
  await send(pair.theirs, encoded.subarray(0, 2));
  const frame = reader.readFrame();
  await withTimeout(source.readsCompleted(1), "the first read");
  await send(pair.theirs, encoded.subarray(2));
  assertEquals(await withTimeout(frame, "the frame"), line("😀"));
});

Deno.test("LineReader over TCP takes an unterminated read as one message when this side answers, without waiting", async () => {
  using pair = await socketPair();
  const source = new ObservedSource(pair.ours);
  const reader = new LineReader(source);
  await send(pair.theirs, "no line end");
  const frame = reader.readMessage({ unterminatedWaitMs: FOREVER_MS });
  await withTimeout(source.readsCompleted(1), "the read");
  reader.messageSent();
  assertEquals(await withTimeout(frame, "the message"), line("no line end"));
  await send(pair.theirs, "next\n");
  assertEquals(await withTimeout(reader.readMessage(), "next"), line("next"));
});

Deno.test("LineReader over TCP keeps apart two unterminated messages sent one after each read", async () => {
  // The lesson's server with piped input sends its next message right after
  // reading ours: a few milliseconds, well inside the 250 ms wait. Our
  // message ends its first one, whatever comes after.
  using pair = await socketPair();
  const source = new ObservedSource(pair.ours);
  const reader = new LineReader(source);
  await send(pair.theirs, "s1 from lesson");
  const first = reader.readMessage();
  await withTimeout(source.readsCompleted(1), "the first read");
  reader.messageSent();
  await send(pair.theirs, "s2 héllo");
  assertEquals(await withTimeout(first, "s1"), line("s1 from lesson"));
  assertEquals(
    await withTimeout(reader.readMessage(), "s2"),
    line("s2 héllo"),
  );
});

Deno.test("LineReader over TCP prefetch reads a message sent early apart from the next one", async () => {
  // The lesson's server speaks first: its message arrives while our user is
  // still typing, and its next one right after our answer. Reading ahead
  // keeps the first in a read of its own.
  using pair = await socketPair();
  const source = new ObservedSource(pair.ours);
  const reader = new LineReader(source);
  reader.prefetch();
  await send(pair.theirs, "s1 from lesson");
  await withTimeout(source.readsCompleted(1), "the read ahead");
  reader.messageSent(); // our answer, after which the lesson sends again
  await send(pair.theirs, "s2 héllo");
  assertEquals(
    await withTimeout(reader.readMessage(), "s1"),
    line("s1 from lesson"),
  );
  assertEquals(
    await withTimeout(reader.readMessage(), "s2"),
    line("s2 héllo"),
  );
});

Deno.test("LineReader over TCP joins a 1500-byte message without LF that needs two reads", async () => {
  using pair = await socketPair();
  const reader = new LineReader(pair.ours, { maxLineBytes: 2048 });
  const text = "é".repeat(750); // 1500 bytes: more than one 1024-byte read
  await send(pair.theirs, text);
  assertEquals(
    await withTimeout(reader.readMessage(), "the message"),
    line(text),
  );
});

Deno.test("LineReader over TCP joins a line whose rest comes within the wait", async () => {
  using pair = await socketPair();
  const source = new ObservedSource(pair.ours);
  const reader = new LineReader(source);
  // A first line shows the peer ends its lines with LF.
  await send(pair.theirs, "one\n");
  assertEquals(await withTimeout(reader.readMessage(), "one"), line("one"));
  await send(pair.theirs, "hel");
  // A wait as long as the hang guard: the rest is sent right after the
  // read, so only a stall of WAIT_MS could split the line.
  const frame = reader.readMessage({ unterminatedWaitMs: WAIT_MS });
  await withTimeout(source.readsCompleted(2), "the second read");
  await send(pair.theirs, "lo\n");
  assertEquals(await frame, line("hello"));
});

Deno.test("LineReader over TCP returns a last partial line when the peer closes", async () => {
  using pair = await socketPair();
  const reader = new LineReader(pair.ours);
  await send(pair.theirs, "done\nlast words");
  pair.theirs.close();
  assertEquals(await withTimeout(reader.readFrame(), "done"), line("done"));
  assertEquals(
    await withTimeout(reader.readFrame(), "last"),
    line("last words"),
  );
  assertEquals(await withTimeout(reader.readFrame(), "the end"), null);
});
