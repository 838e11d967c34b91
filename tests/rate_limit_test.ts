import { assertEquals } from "./support/assert.ts";
import { lineRateLimitOptions, RateLimit } from "../lib/room/rate_limit.ts";

/** Takes one-byte lines at `now` until the budget refuses one; how many went. */
function drainLines(limit: RateLimit, now: number): number {
  let taken = 0;
  while (limit.take(1, now)) taken++;
  return taken;
}

/** Takes `bytes`-byte lines at `now` until refused; how many bytes went. */
function drainBytes(limit: RateLimit, bytes: number, now: number): number {
  let taken = 0;
  while (limit.take(bytes, now)) taken += bytes;
  return taken;
}

/** The room's default budget: `--rate-limit 40,5` with 1024-byte lines. */
function roomDefault(start = 0): RateLimit {
  return new RateLimit(
    lineRateLimitOptions({ burstLines: 40, linesPerSecond: 5 }, 1024),
    start,
  );
}

Deno.test("RateLimit lets a burst of 40 lines through, then none", () => {
  const limit = new RateLimit({}, 0);
  assertEquals(drainLines(limit, 0), 40);
  assertEquals(limit.take(1, 0), false);
});

Deno.test("RateLimit refills by exactly 5 lines per second", () => {
  const limit = new RateLimit({}, 0);
  drainLines(limit, 0);
  // One line every 200 ms: none at 199 ms, one at 200 ms.
  assertEquals(limit.take(1, 199), false);
  assertEquals(limit.take(1, 200), true);
  assertEquals(limit.take(1, 200), false);
  // A whole second later, 5 more lines and not a sixth.
  assertEquals(drainLines(limit, 1200), 5);
  // Ten seconds of silence refill 50 lines, capped at the burst of 40.
  assertEquals(drainLines(limit, 11_200), 40);
});

Deno.test("RateLimit refills a refused budget from when it was last asked", () => {
  const limit = new RateLimit({ burstLines: 1, linesPerSecond: 5 }, 0);
  assertEquals(limit.take(1, 0), true);
  for (let now = 10; now < 200; now += 10) {
    assertEquals(limit.take(1, now), false, `refused at ${now} ms`);
  }
  assertEquals(limit.take(1, 200), true);
});

Deno.test("RateLimit spends nothing on a refused line", () => {
  const limit = new RateLimit({ burstBytes: 100, burstLines: 40 }, 0);
  assertEquals(limit.take(101, 0), false);
  assertEquals(limit.take(100, 0), true);
});

Deno.test("RateLimit takes no refill from a clock that goes backwards", () => {
  const limit = new RateLimit({}, 1000);
  drainLines(limit, 1000);
  assertEquals(limit.take(1, 0), false);
  assertEquals(limit.take(1, 199), false);
  assertEquals(limit.take(1, 200), true);
});

Deno.test("a room's flood guard allows 40 lines and 20 KiB at once", () => {
  assertEquals(drainLines(roomDefault(), 0), 40);
  // 20 KiB is 20 full 1024-byte lines.
  assertEquals(drainBytes(roomDefault(), 1024, 0), 20 * 1024);
  assertEquals(
    lineRateLimitOptions({ burstLines: 40, linesPerSecond: 5 }, 1024),
    {
      burstLines: 40,
      linesPerSecond: 5,
      burstBytes: 20480,
      bytesPerSecond: 5120,
    },
  );
});

Deno.test("a room's flood guard refills by exactly 5 lines per second", () => {
  const limit = roomDefault();
  drainLines(limit, 0);
  assertEquals(limit.take(1, 199), false);
  assertEquals(drainLines(limit, 1000), 5);
  assertEquals(drainLines(limit, 2000), 5);
});

Deno.test("a room's flood guard refills by exactly 5 KiB per second", () => {
  const limit = roomDefault();
  drainBytes(limit, 1024, 0);
  // 1024 bytes every 200 ms: not at 199 ms.
  assertEquals(limit.take(1024, 199), false);
  assertEquals(limit.take(1024, 200), true);
  assertEquals(limit.take(1024, 200), false);
  // A second later 5120 bytes more, and not a byte over.
  assertEquals(limit.take(5120, 1200), true);
  assertEquals(limit.take(1, 1200), false);
});

Deno.test("a room's flood guard never gives less than 16 KiB and 4 KiB/s", () => {
  assertEquals(
    lineRateLimitOptions({ burstLines: 2, linesPerSecond: 1 }, 100),
    {
      burstLines: 2,
      linesPerSecond: 1,
      burstBytes: 16384,
      bytesPerSecond: 4096,
    },
  );
  assertEquals(
    lineRateLimitOptions({ burstLines: 100, linesPerSecond: 10 }, 4096),
    {
      burstLines: 100,
      linesPerSecond: 10,
      burstBytes: 204800,
      bytesPerSecond: 40960,
    },
  );
});
