// Nothing lost, end to end: three client.ts senders send 1,000 lines each
// through a room with --db while the server is killed with SIGKILL twice
// and started again, or while the network cuts every connection twice.
// Every client reconnects by itself; afterwards every transcript holds each
// line any sender sent exactly once, in that sender's order, and so does the
// history file.

import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertOk } from "../support/assert.ts";
import { type RunningProcess, runScript } from "../support/process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { eventually, WAIT_MS } from "../support/wait.ts";

const SENDERS = ["ann", "ben", "cat"];
const LINES = 1000;
/** Long enough for 3,000 lines to cross a room twice interrupted, on a busy machine. */
const DELIVERY_MS = 120_000;

function linesOf(sender: string): string[] {
  return Array.from(
    { length: LINES },
    (_, i) => `${sender} line ${String(i + 1).padStart(4, "0")}`,
  );
}

/** Starts server.ts --room --db on `port` (0: any); returns it and its port. */
async function startServer(
  db: string,
  dir: string,
  port: number,
): Promise<{ server: RunningProcess; port: number }> {
  const server = runScript("server.ts", [
    "--room",
    "--port",
    String(port),
    "--db",
    db,
    "--rate-limit",
    "off",
  ], { permissions: [`--allow-read=${dir}`, `--allow-write=${dir}`] });
  const match = await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/);
  await server.stdout.waitForContaining("*** Room open as");
  return { server, port: Number(match[1]) };
}

/**
 * Types `lines` into `client` 10 at a time, 10 ms apart (about a second for
 * 1,000), so the faults land while lines are on their way.
 */
async function typePaced(client: RunningProcess, lines: string[]) {
  for (let i = 0; i < lines.length; i += 10) {
    await client.writeLines(...lines.slice(i, i + 10));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A room client.ts, connected through `port`. */
async function join(port: number, name: string): Promise<RunningProcess> {
  const client = runScript("client.ts", [
    "--port",
    String(port),
    "--name",
    name,
  ]);
  await client.stdout.waitForContaining(`*** Hello ${name}!`);
  return client;
}

/** What `client` showed of `sender`'s lines, in order. */
function shownFrom(client: RunningProcess, sender: string): string[] {
  const prefix = `<${sender}> `;
  return client.stdout.lines.filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

/** Waits until `client` has shown at least `count` lines of `sender`. */
async function waitForCount(
  client: RunningProcess,
  sender: string,
  count: number,
  ms = DELIVERY_MS,
): Promise<void> {
  await eventually(
    () =>
      `${count} lines of ${sender}; last lines:\n${
        client.stdout.lines.slice(-8).join("\n")
      }`,
    () => shownFrom(client, sender).length >= count,
    { timeoutMs: ms },
  );
}

/** Every client, sender or reader, showed every other sender's lines once, in order. */
async function assertComplete(clients: Map<string, RunningProcess>) {
  for (const [name, client] of clients) {
    for (const sender of SENDERS) {
      if (sender === name) continue;
      await waitForCount(client, sender, LINES).catch((error) => {
        const own = clients.get(sender)!;
        throw new Error(
          `${error.message}\n${sender}'s own last lines:\n${
            own.stdout.lines.slice(-12).join("\n")
          }\n${own.stderr.text}`,
        );
      });
      // A moment for a duplicate, if any, to show up too.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assertEquals(
        shownFrom(client, sender),
        linesOf(sender),
        `${name} saw ${sender}`,
      );
    }
  }
}

/** The history file: each sender's lines exactly once, in order. */
function assertStored(db: string): void {
  const file = new DatabaseSync(db, { readOnly: true });
  const rows = file.prepare("SELECT sender, text FROM messages ORDER BY id")
    .all() as { sender: string; text: string }[];
  file.close();
  for (const sender of SENDERS) {
    assertEquals(
      rows.filter((row) => row.sender === sender).map((row) => row.text),
      linesOf(sender),
      `the file's lines from ${sender}`,
    );
  }
}

async function stopAll(clients: Iterable<RunningProcess>) {
  for (const client of clients) {
    await client.closeStdin();
  }
  for (const client of clients) {
    await client[Symbol.asyncDispose]();
  }
}

Deno.test({
  name:
    "3 × 1000 lines through a --db room killed twice with SIGKILL: every line once, in order, everywhere",
  sanitizeResources: false,
  async fn() {
    using temp = tempDir("chatlab-nothing-lost-");
    const db = `${temp.path}/class.sqlite`;
    let { server, port } = await startServer(db, temp.path, 0);
    const clients = new Map<string, RunningProcess>();
    try {
      for (const name of [...SENDERS, "reader"]) {
        clients.set(name, await join(port, name));
      }
      // The senders type at once; the server dies twice while the lines are
      // on their way.
      const typing = SENDERS.map((sender) =>
        typePaced(clients.get(sender)!, linesOf(sender))
      );
      const reader = clients.get("reader")!;
      for (const after of [150, 600]) {
        await waitForCount(reader, "cat", after, WAIT_MS * 4);
        server.child.kill("SIGKILL");
        await server.child.status;
        await server[Symbol.asyncDispose]();
        ({ server } = await startServer(db, temp.path, port));
      }
      await Promise.all(typing);
      await assertComplete(clients);
      for (const client of clients.values()) {
        assertOk(
          client.stdout.lines.some((line) =>
            /^\*\*\* Reconnected; \d+ missed messages? follows?\.$/.test(line)
          ),
          "each client said it reconnected",
        );
      }
    } finally {
      await stopAll(clients.values());
      await server[Symbol.asyncDispose]();
    }
    assertStored(db);
  },
});

/**
 * A relay between the clients and the server that can cut every connection
 * at once, as a dropped Wi-Fi does, while the server stays up.
 */
class CuttingRelay implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #to: number;
  readonly #open = new Set<Deno.Conn>();
  readonly #serving: Promise<void>;

  constructor(to: number) {
    this.#to = to;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#serving = this.#serve();
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Closes every connection through it, both ways. */
  cutAll(): number {
    const count = this.#open.size;
    for (const conn of this.#open) this.#close(conn);
    return count;
  }

  async #serve(): Promise<void> {
    for await (const client of this.#listener) {
      const server = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.#to,
      });
      this.#open.add(client);
      this.#open.add(server);
      this.#pipe(client, server);
      this.#pipe(server, client);
    }
  }

  async #pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    try {
      await from.readable.pipeTo(to.writable, { preventClose: true });
    } catch {
      // A cut connection: both sides are closed below.
    }
    this.#close(from);
    this.#close(to);
  }

  #close(conn: Deno.Conn): void {
    if (!this.#open.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // Already closed by its stream.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    this.cutAll();
    await this.#serving.catch((error) => {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    });
  }
}

Deno.test({
  name:
    "3 × 1000 lines while the network cuts every connection twice: every line once, in order, everywhere",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    using temp = tempDir("chatlab-nothing-lost-");
    const db = `${temp.path}/class.sqlite`;
    const { server, port } = await startServer(db, temp.path, 0);
    await using relay = new CuttingRelay(port);
    const clients = new Map<string, RunningProcess>();
    try {
      for (const name of [...SENDERS, "reader"]) {
        clients.set(name, await join(relay.port, name));
      }
      const typing = SENDERS.map((sender) =>
        typePaced(clients.get(sender)!, linesOf(sender))
      );
      const reader = clients.get("reader")!;
      for (const after of [150, 600]) {
        await waitForCount(reader, "cat", after, WAIT_MS * 4);
        assertOk(relay.cutAll() >= 2, "connections to cut");
      }
      await Promise.all(typing);
      await assertComplete(clients);
    } finally {
      await stopAll(clients.values());
      await server[Symbol.asyncDispose]();
    }
    assertStored(db);
  },
});
