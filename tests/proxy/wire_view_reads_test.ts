// The wire view shows exactly the reads that happened: client.ts --wire=hex
// behind a proxy that splits what it delivers, compared byte for byte with
// what the proxy wrote; and server.ts --wire=hex's writes with what the
// proxy read. In a real terminal, --wire with the task's permissions never
// asks for a permission.

import { assertEquals, assertOk } from "../support/assert.ts";
import { runScript, startServer } from "../support/process.ts";
import { TMUX_MISSING, TmuxPane } from "../support/tmux.ts";
import { testNeeding } from "../support/requires.ts";
import { FaultProxy, type TapEvent } from "../../lib/proxy/proxy.ts";

/** One read or write as the wire view showed it. */
interface Shown {
  kind: "read" | "wrote";
  bytes: number[];
}

/**
 * The reads and writes in `--wire=hex` lines: a head row with the count,
 * then continuation rows; the hex column holds the exact bytes.
 */
function parseHexView(lines: string[]): Shown[] {
  const shown: Shown[] = [];
  for (const line of lines) {
    const head = line.match(
      /[←→] (read|wrote) (\d+) bytes? +│ ([0-9a-f ]+?) +│/,
    );
    const more = line.match(/^\S* +│ ([0-9a-f ]+?) +│/);
    const hex = head?.[3] ?? more?.[1];
    if (hex === undefined) continue;
    const bytes = hex.split(" ").map((h) => parseInt(h, 16));
    if (head) {
      shown.push({ kind: head[1] as Shown["kind"], bytes });
      continue;
    }
    shown.at(-1)!.bytes.push(...bytes);
  }
  return shown;
}

/** Where pieces end, as offsets into their concatenation. */
function boundaries(pieces: number[][]): number[] {
  let offset = 0;
  return pieces.map((piece) => offset += piece.length);
}

Deno.test("client --wire shows exactly the reads that happened: the proxy's pieces, none changed", async () => {
  const { server, port } = await startServer(["--mode", "chat", "--wire=hex"]);
  await using _server = server;
  const delivered: TapEvent[] = [];
  const proxyRead: TapEvent[] = [];
  await using proxy = await FaultProxy.start({
    toHost: "127.0.0.1",
    toPort: port,
    faults: { up: {}, down: { split: 5 } },
    tap: (event) => {
      if (event.direction !== "down") return;
      (event.kind === "write" ? delivered : proxyRead).push(event);
    },
  });
  await using client = runScript("client.ts", [
    "--port",
    String(proxy.port),
    "--mode",
    "chat",
    "--wire=hex",
  ]);
  await client.stdout.waitForMatch(/^Connected to /);
  const said = ["hello class", "ünïcödé 😀 split by five", "bye"];
  await server.writeLines(...said);
  for (const line of said) {
    await client.stdout.waitForContaining(`Received: ${line}`);
  }

  // Every byte the proxy delivered, as the client's reads show them.
  const reads = parseHexView(client.stderr.lines)
    .filter((s) => s.kind === "read").map((s) => s.bytes);
  const writes = delivered.map((event) => [...event.bytes]);
  assertEquals(reads.flat(), writes.flat());
  assertEquals(
    new TextDecoder().decode(Uint8Array.from(reads.flat())),
    said.map((line) => line + "\n").join(""),
  );
  // A read never starts or ends inside a piece (it may take several), and
  // the split shows: more reads than lines.
  const cuts = new Set(boundaries(writes));
  for (const end of boundaries(reads)) {
    assertOk(cuts.has(end), `a read ends at byte ${end}, inside a piece`);
  }
  assertOk(reads.length > said.length, `${reads.length} reads`);
  for (const read of reads) assertOk(read.length <= 5 * reads.length);

  // The server's writes are what the proxy read from it.
  const serverWrites = parseHexView(server.stderr.lines)
    .filter((s) => s.kind === "wrote").map((s) => s.bytes);
  assertEquals(serverWrites.flat(), proxyRead.flatMap((e) => [...e.bytes]));
});

testNeeding(
  TMUX_MISSING,
  "--wire in a terminal, with the tasks' permissions: wire lines and chat lines, never a permission prompt",
  async () => {
    await using serverPane = await TmuxPane.start(
      "deno task server --port 0 --mode chat --wire",
    );
    const started = await serverPane.waitForScreen((lines) =>
      lines.some((line) => /^Listening on .*:\d+$/.test(line))
    );
    const port = started.join("\n").match(/Listening on .*:(\d+)/)![1];
    await using clientPane = await TmuxPane.start(
      `deno task client --port ${port} --mode chat --wire`,
    );
    await clientPane.waitForScreen((lines) =>
      lines.some((line) => line.startsWith("Connected to"))
    );
    await clientPane.type("héllo");
    await clientPane.press("Enter");
    const screen = await serverPane.waitForScreen((lines) =>
      lines.some((line) => line.includes("Received: héllo"))
    );
    assertOk(
      screen.some((line) => /← read 7 bytes +│ héllo\\n/.test(line)),
      screen.join("\n"),
    );
    const clientScreen = await clientPane.screen();
    assertOk(
      clientScreen.some((line) => /→ wrote 7 bytes +│ héllo\\n/.test(line)),
      clientScreen.join("\n"),
    );
    for (const lines of [screen, clientScreen]) {
      assertOk(
        !lines.some((line) => /Deno requests|Allow\?|NotCapable/.test(line)),
        lines.join("\n"),
      );
    }
  },
);

testNeeding(
  TMUX_MISSING,
  "deno task proxy --wire in a terminal shows what went in and what came out, never a permission prompt",
  async () => {
    using backend = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    await using pane = await TmuxPane.start(
      `deno task proxy --listen 0 --to 127.0.0.1:${backend.addr.port} --split 4 --wire`,
    );
    const started = await pane.waitForScreen((lines) =>
      lines.some((line) => line.startsWith("Proxy listening on"))
    );
    const port = Number(
      started.join("\n").match(/Proxy listening on 127\.0\.0\.1:(\d+)/)![1],
    );
    using client = await Deno.connect({ hostname: "127.0.0.1", port });
    using server = await backend.accept();
    await client.write(new TextEncoder().encode("hello\n"));
    const got = new Uint8Array(16);
    let total = 0;
    while (total < 6) total += (await server.read(got.subarray(total)))!;
    const screen = await pane.waitForScreen((lines) =>
      lines.some((line) => /#1 server → wrote 2 bytes +│ o\\n/.test(line))
    );
    assertOk(
      screen.some((line) => /#1 client ← read 6 bytes +│ hello\\n/.test(line)),
    );
    assertOk(
      screen.some((line) => /#1 server → wrote 4 bytes +│ hell/.test(line)),
    );
    assertOk(!screen.some((line) => /Deno requests|Allow\?/.test(line)));
  },
);
