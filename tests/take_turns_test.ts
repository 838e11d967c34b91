import { assertEquals } from "./support/assert.ts";
import {
  assertNoStackTrace,
  receivedLines,
  startChat,
} from "./support/chat.ts";
import {
  LOOPBACK,
  startResettingClient,
  startResettingServer,
} from "./support/peers.ts";
import {
  type RunningProcess,
  runScript,
  startServer,
} from "./support/process.ts";
import { testNeeding } from "./support/requires.ts";
import { NEEDS_PYTHON3 } from "./support/programs.ts";
import { withTimeout } from "./support/wait.ts";

const CLOSED = "The other side closed the connection.";
const CONNECTED = /^Connected to 127\.0\.0\.1:\d+\./;

Deno.test("server and client take turns over 127.0.0.1", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  await using client = runScript("client.ts", ["--port", String(port)]);
  await client.writeLines("hello from client");
  await server.stdout.waitForLine("Received: hello from client");
  await server.writeLines("hello from server");
  await client.stdout.waitForLine("Received: hello from server");
  await client.writeLines("bye é 😀");
  await server.stdout.waitForLine("Received: bye é 😀");
  // The server's turn: its input ends, so it closes; the client says so.
  assertEquals((await server.finish()).code, 0);
  await client.stdout.waitForLine("The other side closed the connection.");
  assertEquals((await client.finish()).code, 0);
});

Deno.test("take-turns chat alternates over several turns in both directions", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  for (const turn of [1, 2, 3]) {
    await client.writeLines(`client says ${turn}`);
    await server.stdout.waitForLine(`Received: client says ${turn}`);
    await server.writeLines(`server says ${turn}`);
    await client.stdout.waitForLine(`Received: server says ${turn}`);
  }
  assertEquals(receivedLines(server.stdout.lines), [
    "Received: client says 1",
    "Received: client says 2",
    "Received: client says 3",
  ]);
  assertEquals(receivedLines(client.stdout.lines), [
    "Received: server says 1",
    "Received: server says 2",
    "Received: server says 3",
  ]);
});

Deno.test("client with piped stdin sends one line per turn, then its end of input closes the chat", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  // Like `printf 'a\nb\nc\n' | client.ts`: all input at once, then its end.
  await client.writeLines("first", "second", "third");
  await client.closeStdin();
  await server.writeLines("one", "two", "three");

  const clientStatus = await client.finish();
  await server.stdout.waitForLine(CLOSED);
  const serverStatus = await server.finish();

  assertEquals(receivedLines(server.stdout.lines), [
    "Received: first",
    "Received: second",
    "Received: third",
  ]);
  assertEquals(receivedLines(client.stdout.lines), [
    "Received: one",
    "Received: two",
    "Received: three",
  ]);
  assertEquals(server.stdout.lines.at(-1), CLOSED);
  assertEquals([clientStatus.code, serverStatus.code], [0, 0]);
  assertEquals([client.stderr.lines, server.stderr.lines], [[], []]);
});

Deno.test("take-turns chat keeps UTF-8 text intact in both directions", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  const fromClient = ["café é à ü", "漢字 かな 한글", "😀 👩‍💻 🇫🇷 e\u0301"];
  const fromServer = ["Ça va? ñ ß", "中文 日本語", "🎉🚀 ❤️ 👍🏽"];
  for (let i = 0; i < fromClient.length; i++) {
    await client.writeLines(fromClient[i]);
    await server.stdout.waitForLine(`Received: ${fromClient[i]}`);
    await server.writeLines(fromServer[i]);
    await client.stdout.waitForLine(`Received: ${fromServer[i]}`);
  }
  assertEquals(
    receivedLines(server.stdout.lines),
    fromClient.map((text) => `Received: ${text}`),
  );
  assertEquals(
    receivedLines(client.stdout.lines),
    fromServer.map((text) => `Received: ${text}`),
  );
});

Deno.test("client refuses an oversize message before sending it, and the chat goes on", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  const oversize = "é".repeat(600); // 1200 bytes of UTF-8, 600 characters
  await client.writeLines(oversize, "after the long one");
  await server.stdout.waitForLine("Received: after the long one");
  // Nothing of the long message reached the server: only the next line did.
  assertEquals(receivedLines(server.stdout.lines), [
    "Received: after the long one",
  ]);
  assertEquals(client.stderr.lines, [
    "error: Message is 1200 bytes; the limit is 1024 bytes, so it was not sent",
  ]);
  await server.writeLines("still connected");
  await client.stdout.waitForLine("Received: still connected");
});

Deno.test("server refuses an oversize message before sending it, and the chat goes on", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  await client.writeLines("hello");
  await server.stdout.waitForLine("Received: hello");
  await server.writeLines("a".repeat(1025), "short answer");
  await client.stdout.waitForLine("Received: short answer");
  assertEquals(receivedLines(client.stdout.lines), ["Received: short answer"]);
  assertEquals(server.stderr.lines, [
    "error: Message is 1025 bytes; the limit is 1024 bytes, so it was not sent",
  ]);
});

Deno.test("message of exactly 1024 bytes is sent whole", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  const fromClient = "é".repeat(512); // 1024 bytes
  const fromServer = "a" + "漢".repeat(341); // 1 + 1023 = 1024 bytes
  await client.writeLines(fromClient);
  await server.stdout.waitForLine(`Received: ${fromClient}`);
  await server.writeLines(fromServer);
  await client.stdout.waitForLine(`Received: ${fromServer}`);
  assertEquals([client.stderr.lines, server.stderr.lines], [[], []]);
});

Deno.test("take-turns side reports an oversize message from its peer and the chat goes on", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  // A peer that does not check the limit: a raw socket.
  using conn = await Deno.connect({ hostname: LOOPBACK, port });
  await writeText(conn, "x".repeat(2000) + "\n");
  await server.stdout.waitForLine(
    "(The other side sent 2000 bytes in one message; the limit is 1024 bytes, so it was dropped.)",
  );
  await server.writeLines("still here");
  assertEquals(await readLine(conn), "still here");
  assertEquals(receivedLines(server.stdout.lines), []);
});

Deno.test("client exits 0 on Ctrl+C at its prompt, and the waiting server reports the close", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  await client.writeLines("hi");
  await server.stdout.waitForLine("Received: hi");
  await server.writeLines("your turn");
  await client.stdout.waitForLine("Received: your turn");

  const status = await interrupt(client);

  assertEquals(status.code, 0);
  assertNoStackTrace(client.stderr.text);
  await server.stdout.waitForLine(CLOSED);
  assertEquals((await server.finish()).code, 0);
});

Deno.test("client exits 0 on Ctrl+C while waiting for a reply, and the server, at its prompt, reports the close at once", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  await client.writeLines("hi");
  await server.stdout.waitForLine("Received: hi");

  const status = await interrupt(client);

  assertEquals(status.code, 0);
  assertNoStackTrace(client.stderr.text);
  // Nothing typed: the server notices the hang-up while waiting for typing.
  await server.stdout.waitForLine(CLOSED);
  const serverStatus = await server.finish();
  assertEquals(server.stderr.lines, []);
  assertEquals(serverStatus.code, 0);
});

Deno.test("server exits 0 on Ctrl+C at its prompt, and the waiting client reports the close", async () => {
  await using chat = await startChat();
  const { server, client } = chat;
  await client.writeLines("hi");
  await server.stdout.waitForLine("Received: hi");

  const status = await interrupt(server);

  assertEquals(status.code, 0);
  assertNoStackTrace(server.stderr.text);
  await client.stdout.waitForLine(CLOSED);
  assertEquals((await client.finish()).code, 0);
});

Deno.test("server exits 0 on Ctrl+C while waiting for a message, and the client, at its prompt, reports the close at once", async () => {
  await using chat = await startChat();
  const { server, client } = chat;

  const status = await interrupt(server);

  assertEquals(status.code, 0);
  assertNoStackTrace(server.stderr.text);
  await client.stdout.waitForLine(CLOSED);
  const clientStatus = await client.finish();
  assertEquals(client.stderr.lines, []);
  assertEquals(clientStatus.code, 0);
});

Deno.test("server exits 0 on Ctrl+C while waiting for a client to connect", async () => {
  const { server, port } = await startServer();
  await using _server = server;

  const status = await interrupt(server);

  assertEquals(status.code, 0);
  assertEquals(server.stderr.lines, []);
  // The port is free again: the listener was closed.
  using listener = Deno.listen({ hostname: LOOPBACK, port });
  assertEquals(listener.addr.port, port);
});

testNeeding(
  NEEDS_PYTHON3,
  "client reports a reset from the other side as the close while waiting for a reply",
  async () => {
    const { peer, port } = await startResettingServer();
    await using _peer = peer;
    await using client = runScript("client.ts", ["--port", String(port)]);
    await client.stdout.waitForMatch(CONNECTED);
    await client.writeLines("hello");
    await peer.writeLines("read");
    await peer.stdout.waitForLine("Got: hello");
    await peer.writeLines("reset");
    await peer.stdout.waitForLine("Reset");

    await client.stdout.waitForLine(CLOSED);
    const status = await client.finish();
    assertEquals(client.stderr.lines, []);
    assertEquals(status.code, 0);
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "client reports a reset from the other side as the close when it next speaks",
  async () => {
    const { peer, port } = await startResettingServer();
    await using _peer = peer;
    await using client = runScript("client.ts", ["--port", String(port)]);
    await client.stdout.waitForMatch(CONNECTED);
    await peer.writeLines("reset");
    await peer.stdout.waitForLine("Reset");

    await client.writeLines("hello?");
    await client.stdout.waitForLine(CLOSED);
    const status = await client.finish();
    assertEquals(client.stderr.lines, []);
    assertEquals(status.code, 0);
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "server reports a reset from its client as the close",
  async () => {
    const { server, port } = await startServer();
    await using _server = server;
    await using peer = startResettingClient(port);
    await server.stdout.waitForMatch(CONNECTED);
    await peer.stdout.waitForLine("Connected");
    await peer.writeLines("reset");
    await peer.stdout.waitForLine("Reset");

    await server.stdout.waitForLine(CLOSED);
    const status = await server.finish();
    assertEquals(server.stderr.lines, []);
    assertEquals(status.code, 0);
  },
);

/** Sends Ctrl+C (SIGINT) with stdin still open, and waits for the exit. */
async function interrupt(process: RunningProcess): Promise<Deno.CommandStatus> {
  process.child.kill("SIGINT");
  const status = await withTimeout(process.child.status, "exit after SIGINT");
  await Promise.all([process.stdout.done, process.stderr.done]);
  return status;
}

async function writeText(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

/** Reads from `conn` until a `\n`, and returns the line without it. */
async function readLine(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(1024);
  while (true) {
    const count = await withTimeout(conn.read(buffer), "a line from chatlab");
    if (count === null) throw new Error("Connection ended before a line end");
    chunks.push(buffer.slice(0, count));
    if (buffer.subarray(0, count).includes(0x0a)) break;
  }
  const text = new TextDecoder().decode(
    new Uint8Array(chunks.flatMap((chunk) => [...chunk])),
  );
  return text.slice(0, text.indexOf("\n"));
}
