#!/usr/bin/env node
// @ts-check
/**
 * The load generator of `deno task bench`. It runs as its own process (the
 * runner pins it to its own core), opens N clients to a chat room server on
 * 127.0.0.1, lets S of them send M lines of 64 bytes each, has every client
 * read everything, and prints one JSON object with what it measured.
 *
 * Every line carries its sender, a sequence number, the time it was sent and
 * a check digit, at a fixed place: the last 64 bytes before the `\n`. So any
 * server's prefix (`<name> `, `<user5> `) can be skipped without parsing it,
 * and each line is checked per sender and per receiver: lost, duplicated,
 * reordered, corrupted (a line that is neither a whole payload nor a server
 * notice: what a relay that splits or merges lines produces), misattributed
 * (a prefix that does not name the real sender).
 *
 * It runs under Node (fastest; what the runner uses) and under Deno
 * (`deno run --allow-net=127.0.0.1 --allow-read=/proc bench/load.js ...`).
 * Its own CPU time over the measured wall time is reported as
 * `generatorCpuShare`: near 1.0 means the generator, not the server, was the
 * limit.
 *
 * @module
 */

import net from "node:net";
import process from "node:process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";

const HOST = "127.0.0.1";
const LF = 0x0a;
const PAYLOAD_BYTES = 64;
const MAGIC_0 = 0x23; // "#"
const MAGIC_1 = 0x4c; // "L"
const SPACE = 0x20;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const SENDER_DIGITS = 5;
const SEQ_DIGITS = 8;
const TIME_DIGITS = 12;
const SENDER_AT = 2;
const SEQ_AT = SENDER_AT + SENDER_DIGITS + 1;
const TIME_AT = SEQ_AT + SEQ_DIGITS + 1;
const FILLER_AT = TIME_AT + TIME_DIGITS + 1;
const FILLER = Buffer.from("abcdefghijklmnopqrstuvwxyzABCDEF");
const CHECK_AT = FILLER_AT + FILLER.length;
const SYNC = Buffer.from("#SYNC");
/** A line without `\n` longer than this is garbage: count it and drop it. */
const MAX_TAIL_BYTES = 1 << 20;
/** Latency histogram: exact below 2048 µs, then 1/1024 relative precision. */
const LINEAR_BUCKETS = 2048;
const SUB_BUCKETS = 1024;
const HISTOGRAM_SIZE = LINEAR_BUCKETS + 22 * SUB_BUCKETS;
const TICK_MS = 25;

/** @typedef {"chatlab" | "node" | "python" | "ncat"} Target */

/** How each server is joined and how it names senders. */
const TARGETS = {
  // chatlab, and the two baselines that speak the same join protocol.
  chatlab: { sendsName: true, ready: "*** Hello", names: true },
  node: { sendsName: true, ready: "*** Hello", names: true },
  python: { sendsName: true, ready: "*** Hello", names: true },
  // ncat --chat names clients itself (`<user5> `), at the start of each chunk.
  ncat: {
    sendsName: false,
    ready: "<announce> already connected:",
    names: false,
  },
};
/** Lines from the server that are neither payload nor corruption. */
const NOTICE_PREFIXES = ["*** ", "<announce> ", "* "].map((p) =>
  Buffer.from(p)
);

const { values: flags } = parseArgs({
  options: {
    port: { type: "string" },
    target: { type: "string", default: "chatlab" },
    clients: { type: "string", default: "2" },
    senders: { type: "string", default: "1" },
    lines: { type: "string", default: "1000" },
    rate: { type: "string", default: "0" },
    batch: { type: "string", default: "10" },
    stall: { type: "string", default: "0" },
    "stall-mode": { type: "string", default: "pause" },
    "server-pid": { type: "string" },
    "connect-concurrency": { type: "string", default: "100" },
    "quiet-ms": { type: "string", default: "3000" },
    "time-limit-ms": { type: "string", default: "60000" },
    "settle-ms": { type: "string", default: "1000" },
    reader: { type: "string", default: "onread" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (flags.help || flags.port === undefined) {
  console.log(`Usage: node bench/load.js --port PORT [options]
  --target T               chatlab | node | python | ncat (default chatlab)
  --clients N              clients in the room (default 2)
  --senders S              how many of them send (default 1)
  --lines M                lines each sender sends; 0 = join, idle, measure RSS
  --rate R                 lines/s per sender; 0 = as fast as possible (default)
  --batch B                lines per write when flooding (default 10)
  --stall K                the last K clients never read (default 0)
  --stall-mode pause|read  pause: they never read; read: they read but are
                           not counted (a control for the same room)
  --server-pid PID         read the server's CPU time and RSS from /proc
  --connect-concurrency C  joins in flight at once (default 100)
  --quiet-ms MS            stop after this long without a delivery (default 3000)
  --time-limit-ms MS       stop after this long in any case (default 60000)
  --settle-ms MS           idle runs: wait this long before reading RSS (default 1000)
  --reader onread|data     how sockets are read (default onread)`);
  process.exit(flags.help ? 0 : 2);
}

const target = /** @type {Target} */ (flags.target);
const adapter = TARGETS[target];
if (!adapter) fail(`Unknown --target "${flags.target}"`);
const port = positive("port", flags.port, 1);
const clientCount = positive("clients", flags.clients, 1);
const senderCount = positive("senders", flags.senders, 0);
const lineCount = positive("lines", flags.lines, 0);
const ratePerSender = Number(flags.rate);
const batchLines = positive("batch", flags.batch, 1);
const stallCount = positive("stall", flags.stall, 0);
const serverPid = flags["server-pid"];
const connectConcurrency = positive(
  "connect-concurrency",
  flags["connect-concurrency"],
  1,
);
const quietMs = positive("quiet-ms", flags["quiet-ms"], 1);
const timeLimitMs = positive("time-limit-ms", flags["time-limit-ms"], 1);
const settleMs = positive("settle-ms", flags["settle-ms"], 0);
const useOnread = flags.reader !== "data";
const stallMode = flags["stall-mode"];
if (stallMode !== "pause" && stallMode !== "read") {
  fail(`Invalid --stall-mode "${stallMode}": use pause or read`);
}
if (senderCount + stallCount > clientCount) {
  fail("--senders plus --stall must not exceed --clients");
}
if (lineCount >= 10 ** SEQ_DIGITS || clientCount >= 10 ** SENDER_DIGITS) {
  fail("Too many lines or clients for the payload's fields");
}

/** One connection of the generator. */
class Client {
  /** @param {number} id */
  constructor(id) {
    this.id = id;
    this.name = "c" + String(id).padStart(4, "0");
    this.prefix = Buffer.from(`<${this.name}> `);
    this.stalls = id >= clientCount - stallCount;
    /** @type {net.Socket | null} */
    this.socket = null;
    this.ready = false;
    this.syncSeen = false;
    this.closed = false;
    /** @type {Buffer | null} Bytes after the last `\n` of the previous read. */
    this.tail = null;
    /** One flag per (sender, seq): which lines this client has received. */
    this.seen = new Uint8Array(0);
    /** Per sender, the highest seq received so far (-1: none). */
    this.maxSeq = new Int32Array(0);
    this.sent = 0;
    /** @type {() => void} */
    this.onReady = () => {};
  }
}

const clients = Array.from({ length: clientCount }, (_, id) => new Client(id));
const senders = clients.slice(0, senderCount);
const readers = clients.filter((client) => !client.stalls);
const expected = readers.reduce(
  (sum, client) =>
    sum + lineCount * (senderCount - (client.id < senderCount ? 1 : 0)),
  0,
);
const counts = {
  delivered: 0,
  duplicated: 0,
  reordered: 0,
  corrupted: 0,
  misattributed: 0,
  echoed: 0,
  notices: 0,
  reads: 0,
};
const histogram = new Uint32Array(HISTOGRAM_SIZE);
let maxLatencyUs = 0;
let lastDeliveryMs = 0;
let measuring = false;
let disconnected = 0;
/** @type {string[]} */
const errors = [];
const readBuffer = Buffer.allocUnsafe(64 * 1024);

main().catch((error) => fail(String(error?.stack ?? error)));

async function main() {
  const rssBefore = serverStatus().rssKiB;
  const joinStart = performance.now();
  await joinAll();
  const joinMs = performance.now() - joinStart;
  const joinFailed = clients.filter((client) => !client.ready).length;
  if (lineCount === 0 || joinFailed > 0) {
    await sleep(settleMs);
    const status = serverStatus();
    report({
      joinMs,
      joinFailed,
      serverRssBeforeKiB: rssBefore,
      serverRssKiB: status.rssKiB,
      serverHwmKiB: status.hwmKiB,
      rssPerClientBytes: status.rssKiB === null || rssBefore === null
        ? null
        : (status.rssKiB - rssBefore) * 1024 / clientCount,
    });
    return;
  }
  for (const client of readers) {
    client.seen = new Uint8Array(senderCount * lineCount);
    client.maxSeq = new Int32Array(senderCount).fill(-1);
  }
  const syncMs = await barrier();
  if (stallMode === "pause") {
    for (const client of clients) {
      if (client.stalls) client.socket?.pause();
    }
  }
  const outcome = await measure();
  const stalledDropped = stallMode === "pause"
    ? await stalledClientsDropped()
    : null;
  report({
    joinMs,
    joinFailed,
    syncMs,
    serverRssBeforeKiB: rssBefore,
    ...outcome,
    stalledDropped,
  });
}

/** Opens every connection, `connectConcurrency` at a time, until each has joined. */
async function joinAll() {
  let next = 0;
  const deadline = performance.now() + timeLimitMs;
  async function worker() {
    while (next < clientCount && performance.now() < deadline) {
      const client = clients[next++];
      await join(client, deadline);
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(connectConcurrency, clientCount) }, worker),
  );
}

/**
 * Connects one client, sends its name where the server wants one, and waits
 * for the server's greeting.
 * @param {Client} client
 * @param {number} deadline
 */
function join(client, deadline) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      note(`${client.name}: no greeting before the time limit`);
      resolve(undefined);
    }, Math.max(deadline - performance.now(), 0));
    client.onReady = () => {
      clearTimeout(timer);
      resolve(undefined);
    };
    const options = useOnread
      ? {
        host: HOST,
        port,
        onread: {
          buffer: readBuffer,
          /** @type {(n: number, buf: Buffer) => boolean} */
          callback: (n, buf) => {
            onBytes(client, buf, n);
            return true;
          },
        },
      }
      : { host: HOST, port };
    const socket = net.connect(options);
    client.socket = socket;
    socket.setNoDelay(true);
    if (!useOnread) {
      socket.on("data", (chunk) => onBytes(client, chunk, chunk.length));
    }
    socket.on("connect", () => {
      if (adapter.sendsName) socket.write(client.name + "\n");
    });
    socket.on("error", (error) => note(`${client.name}: ${error.message}`));
    socket.on("end", () => client.closed = true);
    socket.on("close", () => {
      client.closed = true;
      if (measuring) disconnected++;
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

/**
 * Makes sure every client is in the room before anyone sends: servers add a
 * client at different moments, so the first client says "#SYNC" until every
 * other client has heard it.
 */
async function barrier() {
  const start = performance.now();
  const speaker = clients[0];
  const others = clients.slice(1);
  const deadline = start + timeLimitMs;
  while (!others.every((client) => client.syncSeen || client.closed)) {
    if (performance.now() > deadline) {
      note("not every client heard the sync line before the time limit");
      break;
    }
    speaker.socket?.write("#SYNC\n");
    await waitUntil(() => others.every((c) => c.syncSeen || c.closed), 250);
  }
  return performance.now() - start;
}

/** Sends everything, reads everything, and measures while it happens. */
function measure() {
  return new Promise((resolve) => {
    measuring = true;
    const startMs = performance.now();
    const cpuStart = process.cpuUsage();
    const serverStart = serverStatus();
    const coresStart = coreTimes();
    lastDeliveryMs = startMs;
    let active = {
      ms: startMs,
      cpu: cpuStart,
      server: serverStart,
      cores: coresStart,
    };
    const sample = () => ({
      ms: performance.now(),
      cpu: process.cpuUsage(),
      server: serverStatus(),
      cores: coreTimes(),
    });
    let deliveredAtTick = 0;
    for (const sender of senders) {
      if (ratePerSender > 0) pace(sender, startMs);
      else flood(sender);
    }
    const ticker = setInterval(() => {
      const now = performance.now();
      const total = counts.delivered + counts.duplicated;
      // Remember the last moment anything arrived, so that the quiet wait at
      // the end counts in neither the generator's nor the server's CPU share.
      if (total !== deliveredAtTick) {
        deliveredAtTick = total;
        active = sample();
      }
      const done = counts.delivered >= expected;
      const quiet = now - lastDeliveryMs > quietMs;
      const late = now - startMs > timeLimitMs;
      if (!done && !quiet && !late) return;
      clearInterval(ticker);
      measuring = false;
      if (done) active = sample();
      const cpu = process.cpuUsage(cpuStart);
      const activeCpu = active.cpu.user + active.cpu.system -
        cpuStart.user - cpuStart.system;
      const wallMs = active.ms - startMs;
      const durationMs = lastDeliveryMs - startMs;
      const status = serverStatus();
      resolve({
        stopped: done ? "complete" : late ? "time limit" : "quiet",
        durationMs,
        deliveriesPerSec: durationMs > 0
          ? counts.delivered / (durationMs / 1000)
          : 0,
        generatorCpuShare: wallMs > 0 ? activeCpu / 1000 / wallMs : null,
        generatorCpuMs: (cpu.user + cpu.system) / 1000,
        generatorSystemCpuMs: cpu.system / 1000,
        serverCpuShare: serverCpuShare(serverStart, active.server, wallMs),
        coreBusy: coreBusy(coresStart, active.cores),
        serverRssKiB: status.rssKiB,
        serverHwmKiB: status.hwmKiB,
      });
    }, TICK_MS);
  });
}

/**
 * How many of the clients that never read the server has disconnected: they
 * read now (what they get is not counted) and any that reaches the end of
 * its stream within a second was dropped.
 */
async function stalledClientsDropped() {
  const stalled = clients.filter((client) => client.stalls);
  for (const client of stalled) client.socket?.resume();
  await waitUntil(() => stalled.every((client) => client.closed), 1000);
  return stalled.filter((client) => client.closed).length;
}

/**
 * Writes a sender's lines as fast as the server takes them, `batchLines` per
 * write, and lets the readers run between writes.
 * @param {Client} sender
 */
function flood(sender) {
  const socket = sender.socket;
  if (socket === null) return;
  const ready = socket;
  function pump() {
    while (sender.sent < lineCount && !sender.closed) {
      const count = Math.min(batchLines, lineCount - sender.sent);
      const flushed = ready.write(payloads(sender, count));
      if (!flushed) return void ready.once("drain", pump);
      return void setImmediate(pump);
    }
  }
  pump();
}

/**
 * Sends one line every 1/rate seconds, on a fixed schedule (no drift),
 * senders spread evenly over the first interval.
 * @param {Client} sender
 * @param {number} startMs
 */
function pace(sender, startMs) {
  const intervalMs = 1000 / ratePerSender;
  const offsetMs = intervalMs * sender.id / senderCount;
  function tick() {
    if (sender.sent >= lineCount || sender.closed) return;
    sender.socket?.write(payloads(sender, 1));
    const dueMs = startMs + offsetMs + sender.sent * intervalMs;
    setTimeout(tick, Math.max(dueMs - performance.now(), 0));
  }
  setTimeout(tick, offsetMs);
}

/**
 * The next `count` lines of `sender`, stamped with the time now.
 * @param {Client} sender
 * @param {number} count
 */
function payloads(sender, count) {
  const bytes = Buffer.allocUnsafe(count * (PAYLOAD_BYTES + 1));
  const timeUs = Math.floor(performance.now() * 1000);
  for (let i = 0; i < count; i++) {
    const at = i * (PAYLOAD_BYTES + 1);
    bytes[at] = MAGIC_0;
    bytes[at + 1] = MAGIC_1;
    let sum = writeDigits(bytes, at + SENDER_AT, SENDER_DIGITS, sender.id);
    bytes[at + SEQ_AT - 1] = SPACE;
    sum += writeDigits(bytes, at + SEQ_AT, SEQ_DIGITS, sender.sent++);
    bytes[at + TIME_AT - 1] = SPACE;
    sum += writeDigits(bytes, at + TIME_AT, TIME_DIGITS, timeUs);
    bytes[at + FILLER_AT - 1] = SPACE;
    FILLER.copy(bytes, at + FILLER_AT);
    bytes[at + CHECK_AT] = DIGIT_0 + sum % 10;
    bytes[at + CHECK_AT + 1] = DOT;
    bytes[at + PAYLOAD_BYTES] = LF;
  }
  return bytes;
}

/**
 * Writes `value` as `width` decimal digits; returns the sum of the digits.
 * @param {Buffer} bytes
 * @param {number} at
 * @param {number} width
 * @param {number} value
 */
function writeDigits(bytes, at, width, value) {
  let sum = 0;
  for (let i = at + width - 1; i >= at; i--) {
    const digit = value % 10;
    bytes[i] = DIGIT_0 + digit;
    sum += digit;
    value = (value - digit) / 10;
  }
  return sum;
}

/**
 * Handles `n` bytes that arrived for `client` in `bytes` (which may be a
 * shared read buffer: only `bytes[0, n)` is valid, and nothing may be kept).
 * @param {Client} client
 * @param {Buffer} bytes
 * @param {number} n
 */
function onBytes(client, bytes, n) {
  const nowUs = Math.floor(performance.now() * 1000);
  if (measuring) counts.reads++;
  let start = 0;
  let end = bytes.indexOf(LF);
  if (client.tail !== null) {
    if (end === -1 || end >= n) {
      keepTail(client, bytes, 0, n);
      return;
    }
    const line = Buffer.concat([client.tail, bytes.subarray(0, end)]);
    client.tail = null;
    onLine(client, line, 0, line.length, nowUs);
    start = end + 1;
    end = bytes.indexOf(LF, start);
  }
  while (end !== -1 && end < n) {
    onLine(client, bytes, start, end, nowUs);
    start = end + 1;
    end = bytes.indexOf(LF, start);
  }
  if (start < n) keepTail(client, bytes, start, n);
}

/**
 * @param {Client} client
 * @param {Buffer} bytes
 * @param {number} start
 * @param {number} end
 */
function keepTail(client, bytes, start, end) {
  const part = Buffer.from(bytes.subarray(start, end));
  client.tail = client.tail === null
    ? part
    : Buffer.concat([client.tail, part]);
  if (client.tail.length > MAX_TAIL_BYTES) {
    client.tail = null;
    if (measuring) counts.corrupted++;
  }
}

/**
 * Checks one line, `bytes[start, end)` without its `\n`.
 * @param {Client} client
 * @param {Buffer} bytes
 * @param {number} start
 * @param {number} end
 * @param {number} nowUs
 */
function onLine(client, bytes, start, end, nowUs) {
  if (!client.ready) return onGreeting(client, bytes, start, end);
  const at = end - PAYLOAD_BYTES;
  if (at >= start && bytes[at] === MAGIC_0 && bytes[at + 1] === MAGIC_1) {
    if (onPayload(client, bytes, start, at, nowUs)) return;
  } else if (isSync(bytes, start, end)) {
    client.syncSeen = true;
    return;
  } else if (isNotice(bytes, start, end)) {
    counts.notices++;
    return;
  }
  if (measuring && !client.stalls) counts.corrupted++;
}

/**
 * Records a payload line; false when it is not a whole, valid one.
 * @param {Client} client
 * @param {Buffer} bytes
 * @param {number} start
 * @param {number} at
 * @param {number} nowUs
 */
function onPayload(client, bytes, start, at, nowUs) {
  digitSum = 0;
  const sender = readDigits(bytes, at + SENDER_AT, SENDER_DIGITS);
  const seq = readDigits(bytes, at + SEQ_AT, SEQ_DIGITS);
  const sentUs = readDigits(bytes, at + TIME_AT, TIME_DIGITS);
  if (
    sender < 0 || seq < 0 || sentUs < 0 || sender >= senderCount ||
    seq >= lineCount ||
    bytes[at + SEQ_AT - 1] !== SPACE || bytes[at + TIME_AT - 1] !== SPACE ||
    bytes[at + FILLER_AT - 1] !== SPACE ||
    bytes[at + CHECK_AT] !== DIGIT_0 + digitSum % 10 ||
    bytes[at + CHECK_AT + 1] !== DOT ||
    !sameBytes(bytes, at + FILLER_AT, FILLER)
  ) {
    return false;
  }
  if (client.stalls || !measuring) return true;
  if (!prefixNames(bytes, start, at, sender)) counts.misattributed++;
  if (sender === client.id) {
    counts.echoed++;
    return true;
  }
  const index = sender * lineCount + seq;
  if (client.seen[index] !== 0) {
    counts.duplicated++;
    return true;
  }
  client.seen[index] = 1;
  if (seq < client.maxSeq[sender]) counts.reordered++;
  else client.maxSeq[sender] = seq;
  counts.delivered++;
  lastDeliveryMs = nowUs / 1000;
  const latencyUs = Math.max(nowUs - sentUs, 0);
  histogram[bucketOf(latencyUs)]++;
  if (latencyUs > maxLatencyUs) maxLatencyUs = latencyUs;
  return true;
}

/** Set by {@linkcode readDigits}: the sum of the digits read since reset. */
let digitSum = 0;

/**
 * Reads `width` decimal digits; -1 if any byte is not a digit.
 * @param {Buffer} bytes
 * @param {number} at
 * @param {number} width
 */
function readDigits(bytes, at, width) {
  let value = 0;
  for (let i = at; i < at + width; i++) {
    const digit = bytes[i] - DIGIT_0;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
    digitSum += digit;
  }
  return value;
}

/**
 * Whether the bytes before the payload say who sent it: `<c0007> ` where the
 * server names clients by their first line; `<userN> ` for ncat, which
 * numbers clients itself, so only the form can be checked.
 * @param {Buffer} bytes
 * @param {number} start
 * @param {number} at
 * @param {number} sender
 */
function prefixNames(bytes, start, at, sender) {
  if (adapter.names) {
    const prefix = clients[sender].prefix;
    return at - start === prefix.length && sameBytes(bytes, start, prefix);
  }
  return at - start > 7 && bytes[start] === 0x3c && bytes[at - 2] === 0x3e &&
    bytes[at - 1] === SPACE &&
    bytes.toString("latin1", start + 1, start + 5) === "user";
}

/**
 * Whether `bytes` holds `expected` at `at`. A plain loop: for a few dozen
 * bytes it is several times cheaper than a call into `Buffer.compare`.
 * @param {Buffer} bytes
 * @param {number} at
 * @param {Buffer} expected
 */
function sameBytes(bytes, at, expected) {
  for (let i = 0; i < expected.length; i++) {
    if (bytes[at + i] !== expected[i]) return false;
  }
  return true;
}

/**
 * @param {Buffer} bytes
 * @param {number} start
 * @param {number} end
 */
function isSync(bytes, start, end) {
  return end - start >= SYNC.length &&
    bytes.compare(SYNC, 0, SYNC.length, end - SYNC.length, end) === 0;
}

/**
 * @param {Buffer} bytes
 * @param {number} start
 * @param {number} end
 */
function isNotice(bytes, start, end) {
  return NOTICE_PREFIXES.some((prefix) =>
    end - start >= prefix.length &&
    bytes.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0
  );
}

/**
 * Before a client is ready, waits for the server's greeting.
 * @param {Client} client
 * @param {Buffer} bytes
 * @param {number} start
 * @param {number} end
 */
function onGreeting(client, bytes, start, end) {
  const line = bytes.toString("utf8", start, end);
  if (line.startsWith(adapter.ready)) {
    client.ready = true;
    client.onReady();
  } else if (line.startsWith("*** Error")) {
    note(`${client.name}: ${line}`);
  }
}

/** @param {number} us */
function bucketOf(us) {
  if (us < LINEAR_BUCKETS) return us;
  const exponent = 31 - Math.clz32(us);
  const mantissa = (us >>> (exponent - 10)) - SUB_BUCKETS;
  return Math.min(
    LINEAR_BUCKETS + (exponent - 11) * SUB_BUCKETS + mantissa,
    HISTOGRAM_SIZE - 1,
  );
}

/** @param {number} bucket */
function lowerBoundOf(bucket) {
  if (bucket < LINEAR_BUCKETS) return bucket;
  const exponent = Math.floor((bucket - LINEAR_BUCKETS) / SUB_BUCKETS) + 11;
  const mantissa = (bucket - LINEAR_BUCKETS) % SUB_BUCKETS + SUB_BUCKETS;
  return mantissa * 2 ** (exponent - 10);
}

/** The latency below which `fraction` of deliveries fall, in ms. @param {number} fraction */
function percentileMs(fraction) {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil(total * fraction);
  let seen = 0;
  for (let bucket = 0; bucket < HISTOGRAM_SIZE; bucket++) {
    seen += histogram[bucket];
    if (seen >= rank) return lowerBoundOf(bucket) / 1000;
  }
  return maxLatencyUs / 1000;
}

/** The server's CPU ticks, RSS and peak RSS from /proc, when its pid is known. */
function serverStatus() {
  if (serverPid === undefined) {
    return { ticks: null, rssKiB: null, hwmKiB: null };
  }
  try {
    const stat = readFileSync(`/proc/${serverPid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat; fields[0] is field 3.
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${serverPid}/status`, "latin1");
    return {
      ticks,
      rssKiB: Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? NaN),
      hwmKiB: Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? NaN),
    };
  } catch {
    return { ticks: null, rssKiB: null, hwmKiB: null };
  }
}

/**
 * Busy and idle time of every core, from /proc/stat. A process's own CPU
 * time leaves out the softirq time the kernel spends on loopback TCP (it
 * is accounted to the core, not the process), so the runner judges which
 * side was the limit by its core's busy share.
 * @returns {{busy: number, total: number, softirq: number}[] | null}
 */
function coreTimes() {
  try {
    return readFileSync("/proc/stat", "latin1").split("\n")
      .filter((line) => /^cpu\d+ /.test(line))
      .map((line) => {
        const [user, nice, system, idle, iowait, irq, softirq, steal] = line
          .split(/\s+/).slice(1, 9).map(Number);
        const busy = user + nice + system + irq + softirq + steal;
        return { busy, total: busy + idle + iowait, softirq };
      });
  } catch {
    return null;
  }
}

/**
 * Each core's busy share between two {@linkcode coreTimes} samples.
 * @param {ReturnType<typeof coreTimes>} before
 * @param {ReturnType<typeof coreTimes>} after
 */
function coreBusy(before, after) {
  if (before === null || after === null) return null;
  return before.map((core, i) => {
    const total = after[i].total - core.total;
    return total > 0 ? (after[i].busy - core.busy) / total : null;
  });
}

/**
 * @param {{ticks: number | null}} before
 * @param {{ticks: number | null}} after
 * @param {number} wallMs
 */
function serverCpuShare(before, after, wallMs) {
  if (before.ticks === null || after.ticks === null || wallMs <= 0) return null;
  const TICKS_PER_SECOND = 100; // USER_HZ on Linux
  return (after.ticks - before.ticks) / TICKS_PER_SECOND / (wallMs / 1000);
}

/** Prints the result as one JSON line, closes every socket and exits. @param {object} extra */
function report(extra) {
  const result = {
    target,
    clients: clientCount,
    senders: senderCount,
    lines: lineCount,
    rate: ratePerSender,
    stall: stallCount,
    stallMode,
    runtime: typeof globalThis.Deno === "undefined"
      ? `node ${process.version}`
      : "deno",
    expected,
    ...counts,
    lost: expected - counts.delivered,
    disconnected,
    latencyMs: {
      p50: percentileMs(0.5),
      p99: percentileMs(0.99),
      max: counts.delivered > 0 ? maxLatencyUs / 1000 : null,
    },
    ...extra,
    errors: errors.slice(0, 5),
    errorCount: errors.length,
  };
  console.log(JSON.stringify(result));
  for (const client of clients) client.socket?.destroy();
  process.exit(0);
}

/** @param {string} message */
function note(message) {
  errors.push(message);
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

/** @param {string} name @param {string | undefined} text @param {number} lowest */
function positive(name, text, lowest) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < lowest) {
    fail(`Invalid --${name} "${text}": use a whole number, ${lowest} or more`);
  }
  return value;
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves when `condition` holds, checking every 5 ms, or after `ms`.
 * @param {() => boolean} condition
 * @param {number} ms
 */
async function waitUntil(condition, ms) {
  const deadline = performance.now() + ms;
  while (!condition() && performance.now() < deadline) await sleep(5);
}
