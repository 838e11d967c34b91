/**
 * The benchmark harness works: its load generator (`bench/load.c`) counts
 * every kind of fault a relay can make as exactly that kind, and a `--quick`
 * run against the Node baseline loses nothing. No speed is asserted.
 *
 * @module
 */

import { assertEquals, assertOk } from "../tests/support/assert.ts";
import {
  firstMissing,
  needProgram,
  testNeeding,
} from "../tests/support/requires.ts";
import { buildGenerator } from "./generator.ts";
import { Spawned } from "./processes.ts";
import type { BenchResults } from "./results.ts";
import { runsOn } from "./scenarios.ts";

const LOOPBACK = "127.0.0.1";
const LINES = 50;
/** The payload line a fault hits (0-based, of the one sender's lines). */
const HIT = 5;
const encoder = new TextEncoder();

/** Where the fields start inside a 64-byte payload (see bench/load.c). */
const SENDER_AT = 2;
const SEQ_AT = 8;
const TIME_AT = 17;
const FILLER_AT = 30;
const CHECK_AT = 62;

/** What a relay sends for one payload line: to the others, and back to its sender. */
interface Relayed {
  others: string;
  sender?: string;
}

/**
 * A fault: given the sender's name, a payload line and its index, what the
 * relay sends instead (`null`: hold the line; the next call gets it back as
 * `held`).
 */
type Fault = (
  name: string,
  line: string,
  index: number,
  held: string | null,
) => Relayed | null;

/** `line` with the digit at `offset` changed to the next one. */
function nextDigitAt(line: string, offset: number): string {
  const digit = (Number(line[offset]) + 1) % 10;
  return line.slice(0, offset) + digit + line.slice(offset + 1);
}

/** A fault that changes line {@linkcode HIT} with `change`, the rest relayed as they are. */
function onHit(change: (name: string, line: string) => Relayed): Fault {
  return (name, line, index) =>
    index === HIT ? change(name, line) : { others: `<${name}> ${line}\n` };
}

/**
 * A room server that gets relaying wrong on purpose. Clients send their name
 * first and get `*** Hello`; payload lines (`#L...`) go through `fault`,
 * anything else (the sync line) is relayed as it is.
 */
class FaultyRelay implements AsyncDisposable {
  readonly listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  readonly #fault: Fault;
  readonly #conns = new Set<Deno.Conn>();
  readonly #served: Promise<void>;
  readonly #tasks: Promise<void>[] = [];

  constructor(fault: Fault) {
    this.#fault = fault;
    this.#served = this.#accept();
  }

  get port(): number {
    return this.listener.addr.port;
  }

  async #accept(): Promise<void> {
    for await (const conn of this.listener) {
      this.#conns.add(conn);
      this.#tasks.push(this.#serve(conn));
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    let name: string | null = null;
    let payloads = 0;
    let held: string | null = null;
    let partial = "";
    const buffer = new Uint8Array(4096);
    const decoder = new TextDecoder();
    try {
      while (true) {
        const count = await conn.read(buffer);
        if (count === null) break;
        const lines = (partial + decoder.decode(buffer.subarray(0, count)))
          .split("\n");
        partial = lines.pop()!;
        for (const line of lines) {
          if (name === null) {
            name = line;
            await conn.write(encoder.encode(`*** Hello ${name}!\n`));
          } else if (!line.startsWith("#L")) {
            await this.#relay(conn, `<${name}> ${line}\n`);
          } else {
            const out = this.#fault(name, line, payloads++, held);
            held = out === null ? line : null;
            if (out === null) continue;
            await this.#relay(conn, out.others);
            if (out.sender) await conn.write(encoder.encode(out.sender));
          }
        }
      }
    } catch (error) {
      // The generator closes its sockets abruptly when it is done.
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    }
  }

  async #relay(from: Deno.Conn, text: string): Promise<void> {
    for (const conn of this.#conns) {
      if (conn !== from) await conn.write(encoder.encode(text)).catch(() => 0);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.#served.catch(() => {});
    await Promise.allSettled(this.#tasks);
  }
}

/**
 * The same relay over WebSocket, in the JSON frames of chatlab's page
 * (PROTOCOL.md): a client's first `{"type":"line","text":NAME}` gets a
 * `Hello` notice; each line the fault makes, `<from> text`, goes out as a
 * `say` event from `from` (a line without that form, from nobody).
 */
class FaultyWsRelay implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #sockets = new Set<WebSocket>();

  constructor(fault: Fault) {
    this.#server = Deno.serve(
      { hostname: LOOPBACK, port: 0, onListen: () => {} },
      (request) => {
        const { socket, response } = Deno.upgradeWebSocket(request);
        this.#serve(socket, fault);
        return response;
      },
    );
  }

  get port(): number {
    return this.#server.addr.port;
  }

  #serve(socket: WebSocket, fault: Fault): void {
    let name: string | null = null;
    let payloads = 0;
    let held: string | null = null;
    socket.onmessage = (event) => {
      const { text } = JSON.parse(event.data);
      if (name === null) {
        name = text as string;
        this.#sockets.add(socket);
        return socket.send(JSON.stringify({
          type: "event",
          kind: "notice",
          text: `Hello ${name}!`,
        }));
      }
      if (!text.startsWith("#L")) {
        return this.#relay(socket, `<${name}> ${text}\n`);
      }
      const out = fault(name, text, payloads++, held);
      held = out === null ? text : null;
      if (out === null) return;
      this.#relay(socket, out.others);
      if (out.sender) this.#send(socket, out.sender);
    };
    socket.onclose = () => this.#sockets.delete(socket);
  }

  #relay(from: WebSocket, text: string): void {
    for (const socket of this.#sockets) {
      if (socket !== from) this.#send(socket, text);
    }
  }

  #send(socket: WebSocket, text: string): void {
    for (const line of text.split("\n").filter((line) => line !== "")) {
      const match = line.match(/^<([^>]*)> (.*)$/s);
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify({
        type: "event",
        kind: "say",
        from: match ? match[1] : "",
        text: match ? match[2] : line,
      }));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const socket of this.#sockets) socket.close();
    await this.#server.shutdown();
  }
}

let built: Promise<string> | undefined;

/**
 * Runs the generator against a relay with `fault`: 2 clients, 1 sending,
 * over TCP or (`ws`) both over WebSocket.
 */
async function countFaults(
  fault: Fault,
  ws = false,
): Promise<Record<string, unknown>> {
  const generator = await (built ??= buildGenerator());
  await using relay = ws ? new FaultyWsRelay(fault) : new FaultyRelay(fault);
  await using run = new Spawned(generator, [
    "--target",
    "node",
    "--port",
    String(relay.port),
    ...(ws ? ["--ws-port", String(relay.port), "--ws-clients", "2"] : []),
    "--clients",
    "2",
    "--senders",
    "1",
    "--lines",
    String(LINES),
    "--quiet-ms",
    "500",
  ]);
  const status = await run.finish(30_000);
  assertEquals(status.code, 0, run.stderr.text);
  const result = JSON.parse(run.stdout.lines.at(-1)!);
  return {
    expected: result.expected,
    delivered: result.delivered,
    lost: result.lost,
    corrupted: result.corrupted,
    split: result.split,
    merged: result.merged,
    echoed: result.echoed,
    duplicated: result.duplicated,
    reordered: result.reordered,
    misattributed: result.misattributed,
    stopped: result.stopped,
  };
}

/** The counts of a run where nothing went wrong, with `changes` applied. */
function counts(changes: Record<string, number | string>) {
  return {
    expected: LINES,
    delivered: LINES,
    lost: 0,
    corrupted: 0,
    split: 0,
    merged: 0,
    echoed: 0,
    duplicated: 0,
    reordered: 0,
    misattributed: 0,
    stopped: "complete",
    ...changes,
  };
}

/** A line that never arrives whole: it is lost too, and the run ends quiet. */
const ONE_LOST = { delivered: LINES - 1, lost: 1, stopped: "quiet" };

const needGcc = needProgram("gcc", "gcc");

const FAULTS: [string, Fault, Record<string, number | string>][] = [
  [
    "a faithful relay",
    onHit((name, line) => ({
      others: `<${name}> ${line}\n`,
    })),
    {},
  ],
  ...([
    ["sender", SENDER_AT + 4],
    ["sequence", SEQ_AT + 7],
    ["time", TIME_AT + 11],
    ["check digit", CHECK_AT],
  ] as const).map(([field, offset]): [
    string,
    Fault,
    Record<string, number | string>,
  ] => [
    `a changed digit in the ${field} field`,
    onHit((name, line) => ({
      others: `<${name}> ${nextDigitAt(line, offset)}\n`,
    })),
    { ...ONE_LOST, corrupted: 1 },
  ]),
  [
    "a changed filler byte",
    onHit((name, line) => ({
      others: `<${name}> ${line.slice(0, FILLER_AT)}X${
        line.slice(FILLER_AT + 1)
      }\n`,
    })),
    { ...ONE_LOST, corrupted: 1 },
  ],
  [
    "a line split in two",
    onHit((name, line) => ({
      others: `<${name}> ${line.slice(0, 20)}\n${line.slice(20)}\n`,
    })),
    { ...ONE_LOST, split: 2 },
  ],
  [
    "two lines merged into one",
    (name, line, index, held) => {
      if (index === HIT) return null;
      if (index === HIT + 1) return { others: `<${name}> ${held}${line}\n` };
      return { others: `<${name}> ${line}\n` };
    },
    { delivered: LINES - 2, lost: 2, merged: 1, stopped: "quiet" },
  ],
  [
    "a line echoed to its sender",
    onHit((name, line) => ({
      others: `<${name}> ${line}\n`,
      sender: `<${name}> ${line}\n`,
    })),
    { echoed: 1 },
  ],
  ["a dropped line", onHit(() => ({ others: "" })), ONE_LOST],
  [
    "a line sent twice",
    onHit((name, line) => ({ others: `<${name}> ${line}\n`.repeat(2) })),
    { duplicated: 1 },
  ],
  [
    "a dropped line and another sent twice",
    (name, line, index) => ({
      others: index === HIT
        ? ""
        : `<${name}> ${line}\n`.repeat(index === HIT + 2 ? 2 : 1),
    }),
    { ...ONE_LOST, duplicated: 1 },
  ],
  [
    "two lines swapped",
    (name, line, index, held) => {
      if (index === HIT) return null;
      if (index === HIT + 1) {
        return { others: `<${name}> ${line}\n<${name}> ${held}\n` };
      }
      return { others: `<${name}> ${line}\n` };
    },
    { reordered: 1 },
  ],
  [
    "a line under another name",
    onHit((_name, line) => ({ others: `<impostor> ${line}\n` })),
    { misattributed: 1 },
  ],
];

for (const [what, fault, changes] of FAULTS) {
  for (const ws of [false, true]) {
    testNeeding(
      needGcc,
      `load generator counts ${what}${ws ? " over WebSocket" : ""} as ${
        Object.keys(changes).filter((k) => k !== "stopped").join(", ") ||
        "nothing wrong"
      }`,
      async () => {
        assertEquals(await countFaults(fault, ws), counts(changes));
      },
    );
  }
}

/** Runs `deno task bench --quick` with `args` and returns its figures. */
async function quickBench(args: string[]): Promise<BenchResults> {
  await using runner = new Spawned(Deno.execPath(), [
    "run",
    `--allow-net=${LOOPBACK}`,
    "--allow-run",
    "--allow-read",
    "--allow-write=BENCHMARKS.md,bench/results",
    "bench/run.ts",
    "--quick",
    ...args,
    "--json",
  ]);
  const status = await runner.finish(180_000);
  assertEquals(status.code, 0, runner.stderr.text);
  return JSON.parse(runner.stdout.lines.at(-1)!);
}

testNeeding(
  firstMissing(needGcc, needProgram("node", "nodejs")),
  "bench --quick against the Node baseline loses nothing",
  async () => {
    const results = await quickBench([
      "--targets",
      "node",
    ]);
    assertEquals(results.targets, ["node"]);
    assertAllWell(results);
  },
);

testNeeding(
  needGcc,
  "bench --quick: chatlab over WebSocket and TCP in one room, and with --db, loses nothing",
  async () => {
    const results = await quickBench([
      "--targets",
      // node-ws is skipped (and not listed) where npm cannot install `ws`.
      "chatlab,chatlab-db,node-ws",
      "--scenarios",
      "ws-20:4,ws-light,flood-20:4",
    ]);
    assertOk(results.targets.includes("chatlab"), "chatlab ran");
    assertOk(results.targets.includes("chatlab-db"), "chatlab --db ran");
    assertAllWell(results);
    for (const id of ["ws-20:4", "ws-light"]) {
      for (const [name, outcomes] of Object.entries(results.load[id] ?? {})) {
        const outcome = outcomes[0];
        assertOk(outcome.ok, `${id} ${name}: ${JSON.stringify(outcome)}`);
        const r = outcome.result;
        const tcp = r.byKind?.tcp.delivered ?? 0;
        const ws = r.byKind?.ws.delivered ?? 0;
        assertOk(ws > 0 && tcp > 0, `${id} ${name}: both kinds got lines`);
        assertEquals(ws + tcp, r.delivered, `${id} ${name}: kinds add up`);
        if (name === "chatlab") {
          // The page numbers its lines; chatlab acknowledges each.
          const scenario = results.scenarios.find((s) => s.id === id)!;
          assertEquals(r.acks, scenario.lines * scenario.senders / 2);
        }
      }
    }
    const db = results.load["flood-20:4"]?.["chatlab-db"]?.[0];
    assertOk(db?.ok, `flood-20:4 chatlab-db: ${JSON.stringify(db)}`);
    assertOk((db.result.dbFileBytes ?? 0) > 0, "the SQLite file was weighed");
    const left = [...Deno.readDirSync("bench/results")].filter((entry) =>
      entry.name.includes(".sqlite")
    );
    assertEquals(left, [], "the SQLite files are removed after the run");
  },
);

/**
 * A room that greets each client, then announces something to everyone
 * every 100 ms for `noticesMs`: join notices still coming after the last join.
 */
class NoticeRoom implements AsyncDisposable {
  readonly listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  readonly #conns: Deno.Conn[] = [];
  readonly #served: Promise<void>;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(clients: number, noticesMs: number) {
    this.#served = this.#accept(clients, noticesMs);
  }

  get port(): number {
    return this.listener.addr.port;
  }

  async #accept(clients: number, noticesMs: number): Promise<void> {
    while (this.#conns.length < clients) {
      const conn = await this.listener.accept();
      this.#conns.push(conn);
      // The name line comes first; the greeting answers it.
      await conn.read(new Uint8Array(64));
      await conn.write(encoder.encode("*** Hello!\n"));
    }
    const until = Date.now() + noticesMs;
    this.#timer = setInterval(() => {
      if (Date.now() >= until) return clearInterval(this.#timer);
      for (const conn of this.#conns) {
        conn.write(encoder.encode("*** someone joined\n")).catch(() => {});
      }
    }, 100);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    clearInterval(this.#timer);
    this.listener.close();
    for (const conn of this.#conns) conn.close();
    await this.#served.catch(() => {});
  }
}

/** The generator's idle run against a room announcing things for `noticesMs`. */
async function quietAfterMs(noticesMs: number): Promise<number> {
  const generator = await (built ??= buildGenerator());
  await using room = new NoticeRoom(3, noticesMs);
  await using run = new Spawned(generator, [
    "--target",
    "node",
    "--port",
    String(room.port),
    "--clients",
    "3",
    "--senders",
    "0",
    "--lines",
    "0",
    "--settle-ms",
    "0",
  ]);
  const status = await run.finish(30_000);
  assertEquals(status.code, 0, run.stderr.text);
  const result = JSON.parse(run.stdout.lines.at(-1)!);
  assertEquals(result.joinFailed, 0);
  return result.quietAfterMs;
}

testNeeding(
  needGcc,
  "load generator reads idle RSS only after the notices stop and a quiet second",
  async () => {
    // Notices for 2 s after the last join, then a quiet second: 3 s.
    const late = await quietAfterMs(2000);
    assertOk(late >= 2800, `waited ${late} ms, not past the notices`);
    // None: the quiet second alone.
    const none = await quietAfterMs(0);
    assertOk(none >= 900 && none < 2000, `waited ${none} ms with no notices`);
  },
);

testNeeding(
  firstMissing(needGcc, needProgram("node", "nodejs")),
  "bench --quick: the bare Deno and Node servers hold idle clients, measured",
  async () => {
    const results = await quickBench([
      "--targets",
      "deno-floor,node-floor",
      "--scenarios",
      "idle-50",
    ]);
    assertEquals(results.targets, ["deno-floor", "node-floor"]);
    assertAllWell(results);
    for (const name of results.targets) {
      const outcome = results.load["idle-50"]?.[name]?.[0];
      assertOk(outcome?.ok, `${name}: ${JSON.stringify(outcome)}`);
      const r = outcome.result;
      assertOk(
        (r.rssPerClientBytes ?? 0) > 0,
        `${name}: RSS per client ${r.rssPerClientBytes}`,
      );
      assertOk((r.quietAfterMs ?? 0) >= 900, `${name}: waited for quiet`);
    }
  },
);

/** Every target ran every scenario it runs, once, and lost nothing. */
function assertAllWell(results: BenchResults): void {
  for (const name of results.targets) {
    for (const scenario of results.scenarios) {
      if (!runsOn(scenario, name)) continue;
      const outcomes = results.load[scenario.id]?.[name] ?? [];
      assertEquals(outcomes.length, 1, `${scenario.id} ran once`);
      const outcome = outcomes[0];
      assertOk(outcome.ok, `${scenario.id}: ${JSON.stringify(outcome)}`);
      const r = outcome.result;
      assertEquals(
        [
          r.joinFailed,
          r.lost,
          r.duplicated,
          r.reordered,
          r.corrupted,
          r.split,
          r.merged,
          r.echoed,
          r.misattributed,
        ],
        [0, 0, 0, 0, 0, 0, 0, 0, 0],
        `${scenario.id}: nothing lost, duplicated, reordered, corrupted, split, merged, echoed or misattributed`,
      );
      if (scenario.lines > 0) {
        assertEquals(r.delivered, r.expected, `${scenario.id}: all delivered`);
        assertOk(r.expected > 0, `${scenario.id}: expected some lines`);
      } else {
        assertEquals(typeof r.rssPerClientBytes, "number");
      }
    }
  }
}

const SAVED_RUN = "bench/results/latest.json";

/** `null` when a full run's figures are saved next to the report. */
function needSavedRun(): string | null {
  try {
    Deno.statSync(SAVED_RUN);
    return null;
  } catch {
    return `no saved run in ${SAVED_RUN} (deno task bench writes it)`;
  }
}

testNeeding(
  needSavedRun(),
  "BENCHMARKS.md re-renders from the saved JSON, table for table",
  async () => {
    await using render = new Spawned(Deno.execPath(), [
      "task",
      "--quiet",
      "bench",
      "--render",
      SAVED_RUN,
      "--out",
      "-",
    ]);
    const status = await render.finish(60_000);
    assertEquals(status.code, 0, render.stderr.text);
    assertEquals(
      render.stdout.text.trimEnd(),
      (await Deno.readTextFile("BENCHMARKS.md")).trimEnd(),
    );
  },
);
