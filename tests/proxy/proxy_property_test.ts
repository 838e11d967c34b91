// The fault proxy, property by property: for random faults and seeds, the
// bytes that come out of each direction are the bytes that went in, in
// order; pieces are the size asked for; a merge delivers a burst in one
// write; a cut delivers exactly its bytes, then resets; a half-close keeps
// the other direction open; many connections at once stay apart.

import { assertEquals, assertOk } from "../support/assert.ts";
import { Random, testSeed } from "../support/random.ts";
import type { FaultPlan, Faults } from "../../lib/proxy/faults.ts";
import { FaultProxy, type TapEvent } from "../../lib/proxy/proxy.ts";
import { cut } from "../../lib/proxy/pump.ts";
import { SeededRandom, streamSeed } from "../../lib/proxy/seeded_random.ts";
import { withTimeout } from "../support/wait.ts";

/** A server behind the proxy: it accepts connections and hands them over. */
class Backend implements Disposable {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  get port(): number {
    return this.listener.addr.port;
  }
  accept(): Promise<Deno.Conn> {
    return withTimeout(this.listener.accept(), "the proxied connection");
  }
  [Symbol.dispose](): void {
    this.listener.close();
  }
}

/** Connects through the proxy; returns both ends of the proxied connection. */
async function connectThrough(proxy: FaultProxy, backend: Backend) {
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: proxy.port,
  });
  const server = await backend.accept();
  return { client, server };
}

/** Writes `bytes` in random pieces. */
async function writeInPieces(
  conn: Deno.Conn,
  bytes: Uint8Array,
  random: Random,
): Promise<void> {
  for (let i = 0; i < bytes.length;) {
    const n = random.int(1, 700);
    const piece = bytes.subarray(i, i + n);
    for (let done = 0; done < piece.length;) {
      done += await conn.write(piece.subarray(done));
    }
    i += piece.length;
    if (random.chance(0.2)) await new Promise((r) => setTimeout(r, 1));
  }
}

/** Reads exactly `count` bytes (or what comes before the end). */
async function readBytes(conn: Deno.Conn, count: number): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  let got = 0;
  const buffer = new Uint8Array(64 * 1024);
  while (got < count) {
    const n = await conn.read(buffer.subarray(0, count - got));
    if (n === null) break;
    out.set(buffer.subarray(0, n), got);
    got += n;
  }
  return out.subarray(0, got);
}

/** Reads until the end or an error, and says which. */
async function readToTheEnd(
  conn: Deno.Conn,
): Promise<{ bytes: Uint8Array; end: string }> {
  const pieces: Uint8Array[] = [];
  const buffer = new Uint8Array(1024);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      pieces.push(buffer.slice(0, n));
    }
    return { bytes: joined(pieces), end: "end" };
  } catch (error) {
    return { bytes: joined(pieces), end: (error as Error).constructor.name };
  }
}

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random.int(0, 255);
  return bytes;
}

/** Random faults that keep a case short (no cut: bytes must all arrive). */
function randomFaults(random: Random): Faults {
  const faults: Faults = {};
  if (random.chance(0.5)) faults.split = random.int(12, 64);
  if (random.chance(0.4)) faults.merge = random.int(1, 30);
  if (random.chance(0.4)) faults.delay = random.int(0, 20);
  if (random.chance(0.4)) faults.jitter = random.int(1, 20);
  if (random.chance(0.3)) faults.rate = random.int(200_000, 2_000_000);
  return faults;
}

function joined(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

Deno.test("proxy property: for random faults and seeds, each direction delivers exactly the bytes sent, in order", async () => {
  const random = new Random(testSeed());
  for (let round = 0; round < 12; round++) {
    const plan: FaultPlan = {
      up: randomFaults(random),
      down: randomFaults(random),
    };
    const seed = random.int(0, 1_000_000);
    const what = `seed ${random.seed}, round ${round}: ${JSON.stringify(plan)}`;
    const writes: Record<"up" | "down", Uint8Array[]> = { up: [], down: [] };
    using backend = new Backend();
    await using proxy = await FaultProxy.start({
      toHost: "127.0.0.1",
      toPort: backend.port,
      faults: plan,
      seed,
      tap: (event: TapEvent) => {
        if (event.kind === "write") writes[event.direction].push(event.bytes);
      },
    });
    const { client, server } = await connectThrough(proxy, backend);
    const up = randomBytes(random, random.int(1, 1000));
    const down = randomBytes(random, random.int(1, 1000));
    const [, , gotUp, gotDown] = await withTimeout(
      Promise.all([
        writeInPieces(client, up, random),
        writeInPieces(server, down, random),
        readBytes(server, up.length),
        readBytes(client, down.length),
      ]),
      what,
    );
    assertEquals(gotUp, up, `up, ${what}`);
    assertEquals(gotDown, down, `down, ${what}`);
    // The proxy wrote those bytes, and pieces are never over the split.
    for (const direction of ["up", "down"] as const) {
      assertEquals(
        joined(writes[direction]),
        direction === "up" ? up : down,
        `${direction} writes, ${what}`,
      );
      const split = plan[direction].split;
      if (split !== undefined) {
        for (const piece of writes[direction]) {
          assertOk(
            piece.length <= split,
            `${piece.length} > ${split}, ${what}`,
          );
        }
      }
    }
    client.close();
    server.close();
  }
});

Deno.test("proxy --split 3 writes one 11-byte message as pieces of 3, 3, 3 and 2 bytes", async () => {
  const writes: string[] = [];
  using backend = new Backend();
  await using proxy = await FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: backend.port,
    faults: { up: { split: 3 }, down: {} },
    tap: (event) => {
      if (event.kind === "write") {
        writes.push(new TextDecoder().decode(event.bytes));
      }
    },
  });
  const { client, server } = await connectThrough(proxy, backend);
  await client.write(new TextEncoder().encode("hello there"));
  assertEquals(
    new TextDecoder().decode(
      await withTimeout(readBytes(server, 11), "11 bytes"),
    ),
    "hello there",
  );
  assertEquals(writes, ["hel", "lo ", "the", "re"]);
  client.close();
  server.close();
});

Deno.test("proxy --merge delivers a burst of separate writes in one write", async () => {
  const writes: Uint8Array[] = [];
  using backend = new Backend();
  await using proxy = await FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: backend.port,
    faults: { up: {}, down: { merge: 300 } },
    tap: (event) => {
      if (event.kind === "write") writes.push(event.bytes);
    },
  });
  const { client, server } = await connectThrough(proxy, backend);
  const encoder = new TextEncoder();
  for (const line of ["one\n", "two\n", "three\n"]) {
    await server.write(encoder.encode(line));
  }
  const got = await withTimeout(readBytes(client, 14), "14 bytes");
  assertEquals(new TextDecoder().decode(got), "one\ntwo\nthree\n");
  assertEquals(writes.map((w) => new TextDecoder().decode(w)), [
    "one\ntwo\nthree\n",
  ]);
  client.close();
  server.close();
});

Deno.test("proxy --cut-after delivers exactly that many bytes, then resets both sides", async () => {
  using backend = new Backend();
  await using proxy = await FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: backend.port,
    faults: { up: { cutAfter: 10, split: 4 }, down: {} },
  });
  const { client, server } = await connectThrough(proxy, backend);
  await client.write(new TextEncoder().encode("0123456789abcdef"));
  const got = await withTimeout(readToTheEnd(server), "the cut");
  assertEquals(new TextDecoder().decode(got.bytes), "0123456789");
  assertEquals(got.end, "ConnectionReset");
  // The client's side is reset too.
  assertEquals(
    (await withTimeout(readToTheEnd(client), "reset")).end,
    "ConnectionReset",
  );
  client.close();
  server.close();
});

Deno.test("proxy --half-close passes an end on and keeps the other direction open", async () => {
  using backend = new Backend();
  await using proxy = await FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: backend.port,
    faults: { up: { halfClose: true }, down: { halfClose: true } },
  });
  const { client, server } = await connectThrough(proxy, backend);
  const encoder = new TextEncoder();
  await client.write(encoder.encode("last words\n"));
  await client.closeWrite();
  assertEquals(
    new TextDecoder().decode(
      await withTimeout(readBytes(server, 64), "the end"),
    ),
    "last words\n",
  );
  // The server still answers after the client's end, and it arrives.
  await server.write(encoder.encode("answer\n"));
  assertEquals(
    new TextDecoder().decode(await withTimeout(readBytes(client, 7), "answer")),
    "answer\n",
  );
  await server.closeWrite();
  assertEquals(await withTimeout(client.read(new Uint8Array(8)), "end"), null);
  client.close();
  server.close();
});

Deno.test("proxy without --half-close closes both sides when one closes, after what was on its way", async () => {
  using backend = new Backend();
  await using proxy = await FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: backend.port,
    faults: { up: {}, down: { delay: 100 } },
  });
  const { client, server } = await connectThrough(proxy, backend);
  const encoder = new TextEncoder();
  await server.write(encoder.encode("on its way\n"));
  server.close();
  // The delayed line still arrives, then the end.
  assertEquals(
    new TextDecoder().decode(
      await withTimeout(readBytes(client, 64), "the line"),
    ),
    "on its way\n",
  );
  client.close();
});

Deno.test("proxy serves 20 connections at once, each getting its own bytes", async () => {
  using backend = new Backend();
  await using proxy = await FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: backend.port,
    faults: { up: { split: 7 }, down: { merge: 5, split: 5 } },
  });
  const clients = await Promise.all(
    Array.from(
      { length: 20 },
      () => Deno.connect({ hostname: "127.0.0.1", port: proxy.port }),
    ),
  );
  const encoder = new TextEncoder();
  await Promise.all(
    clients.map((c, i) =>
      c.write(encoder.encode(`client ${String(i).padStart(5, "0")}`))
    ),
  );
  // The backend echoes what each connection says, twice.
  const serving = (async () => {
    const servers: Deno.Conn[] = [];
    const echoes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      const server = await backend.accept();
      servers.push(server);
      echoes.push((async () => {
        const said = await readBytes(server, 12);
        await server.write(joined([said, said]));
      })());
    }
    await Promise.all(echoes);
    return servers;
  })();
  const servers = await withTimeout(serving, "20 echoes");
  const heard = await withTimeout(
    Promise.all(clients.map((c) => readBytes(c, 24))),
    "20 answers",
  );
  heard.forEach((bytes, i) => {
    const own = `client ${String(i).padStart(5, "0")}`;
    assertEquals(new TextDecoder().decode(bytes), own + own);
  });
  assertEquals(proxy.connections, 20);
  for (const conn of [...clients, ...servers]) conn.close();
});

Deno.test("proxy faults repeat with the same seed: each connection's jitter is its own, from the seed", () => {
  const draw = (seed: number, connection: number, direction: "up" | "down") => {
    const random = new SeededRandom(streamSeed(seed, connection, direction));
    return Array.from({ length: 8 }, () => random.upTo(100));
  };
  assertEquals(draw(42, 1, "up"), draw(42, 1, "up"));
  assertOk(
    JSON.stringify(draw(42, 1, "up")) !== JSON.stringify(draw(43, 1, "up")),
  );
  assertOk(
    JSON.stringify(draw(42, 1, "up")) !== JSON.stringify(draw(42, 2, "up")),
  );
  assertOk(
    JSON.stringify(draw(42, 1, "up")) !== JSON.stringify(draw(42, 1, "down")),
  );
  for (const n of draw(7, 3, "down")) assertOk(n >= 0 && n <= 100);
});

Deno.test("cut makes pieces of the size asked for, the last one shorter", () => {
  const bytes = new TextEncoder().encode("abcdefgh");
  assertEquals(cut(bytes, 3).map((p) => new TextDecoder().decode(p)), [
    "abc",
    "def",
    "gh",
  ]);
  assertEquals(cut(bytes, 8).length, 1);
  assertEquals(cut(bytes, 100).length, 1);
});
