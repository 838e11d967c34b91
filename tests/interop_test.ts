// chatlab in take-turns mode against the lesson's own Python programs and
// against nc (netcat-openbsd), each way round, over 127.0.0.1.
//
// The Python programs send `message.encode()` with no `\n`, and print
// `Received: <text>` with whatever `recv(1024)` returned, so a line we send
// (with its `\n`) shows there as `Received: <text>` followed by an empty line.

import { assertEquals, assertMatch } from "./support/assert.ts";
import { receivedLines } from "./support/chat.ts";
import {
  startLessonClient,
  startLessonServer,
  startNcClient,
  startNcListener,
} from "./support/peers.ts";
import { runScript, startServer } from "./support/process.ts";

const CLOSED = "The other side closed the connection.";
const CONNECTED = /^Connected to 127\.0\.0\.1:\d+\./;

Deno.test("client takes turns with the lesson's Python server", async () => {
  const { peer: lesson, port } = await startLessonServer();
  await using _lesson = lesson;
  await using client = runScript("client.ts", ["127.0.0.1", String(port)]);
  await client.stdout.waitForMatch(CONNECTED);

  const turns = [
    ["hello from Deno", "hello from Python"],
    ["how are you? é", "fine, 漢字 and 😀 too"],
    ["bye", "see you"],
  ];
  for (const [ours, theirs] of turns) {
    // The lesson's server, like its client, does input() and send() before
    // recv(): it reads our message only after its own user has typed. So in
    // each round both sides send, then both receive.
    await client.writeLines(ours);
    // input() drops the line end and send() adds none: this message comes
    // without `\n`, and the client must print it once the lesson goes quiet.
    await lesson.writeLines(theirs);
    await lesson.stdout.waitForLine(`Received: ${ours}`);
    await client.stdout.waitForLine(`Received: ${theirs}`);
  }
  assertEquals(
    receivedLines(client.stdout.lines),
    turns.map(([, theirs]) => `Received: ${theirs}`),
  );
  assertEquals(
    receivedLines(lesson.stdout.lines),
    turns.map(([ours]) => `Received: ${ours}`),
  );

  // The lesson's input() meets the end of its stdin: EOFError, the program
  // dies, its socket closes. The client finds out when it next waits.
  await lesson.finish();
  assertMatch(lesson.stderr.text, /EOFError/);
  await client.writeLines("are you still there?");
  await client.stdout.waitForLine(CLOSED);
  const status = await client.finish();
  assertEquals(client.stderr.lines, []);
  assertEquals(status.code, 0);
});

Deno.test("server takes turns with the lesson's Python client", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  await using lesson = startLessonClient(port);
  await server.stdout.waitForMatch(CONNECTED);

  const turns = [
    ["hello from Python", "hello from Deno"],
    ["unterminated, like the lesson", "answered with a line end"],
    ["Ça va? 漢字 😀", "très bien 👍🏽"],
  ];
  for (const [theirs, ours] of turns) {
    // Sent without `\n`: the server prints it whole once the lesson is quiet.
    await lesson.writeLines(theirs);
    await server.stdout.waitForLine(`Received: ${theirs}`);
    await server.writeLines(ours);
    await lesson.stdout.waitForLine(`Received: ${ours}`);
  }
  assertEquals(
    receivedLines(server.stdout.lines),
    turns.map(([theirs]) => `Received: ${theirs}`),
  );
  assertEquals(
    receivedLines(lesson.stdout.lines),
    turns.map(([, ours]) => `Received: ${ours}`),
  );

  await lesson.closeStdin(); // EOFError: the lesson dies, its socket closes.
  await server.stdout.waitForLine(CLOSED);
  const status = await server.finish();
  assertEquals(server.stderr.lines, []);
  assertEquals(status.code, 0);
});

Deno.test("server's end of input closes the chat with the lesson's Python client", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  await using lesson = startLessonClient(port);
  await server.stdout.waitForMatch(CONNECTED);
  await lesson.writeLines("anything to say?");
  await server.stdout.waitForLine("Received: anything to say?");
  // The server's turn, and its input ends: it closes the connection, so the
  // lesson's recv(1024) returns no bytes and it prints an empty message.
  const status = await server.finish();
  assertEquals(status.code, 0);
  assertEquals(server.stderr.lines, []);
  await lesson.stdout.waitForLine("Received: ");
});

Deno.test("client takes turns with nc -l", async () => {
  const { peer: nc, port } = await startNcListener();
  await using _nc = nc;
  await using client = runScript("client.ts", ["--port", String(port)]);
  await client.stdout.waitForMatch(CONNECTED);

  for (const turn of [1, 2, 3]) {
    await client.writeLines(`from client ${turn} é`);
    await nc.stdout.waitForLine(`from client ${turn} é`);
    await nc.writeLines(`from nc ${turn} 漢字`);
    await client.stdout.waitForLine(`Received: from nc ${turn} 漢字`);
  }
  assertEquals(nc.stdout.lines, [
    "from client 1 é",
    "from client 2 é",
    "from client 3 é",
  ]);
  assertEquals(receivedLines(client.stdout.lines), [
    "Received: from nc 1 漢字",
    "Received: from nc 2 漢字",
    "Received: from nc 3 漢字",
  ]);

  // End of the client's input: it closes, and nc, seeing the end, exits.
  const status = await client.finish();
  assertEquals(status.code, 0);
  assertEquals((await nc.finish()).code, 0);
});

Deno.test("client prints a message from nc -l that has no line end once nc goes quiet", async () => {
  const { peer: nc, port } = await startNcListener();
  await using _nc = nc;
  await using client = runScript("client.ts", ["--port", String(port)]);
  await client.stdout.waitForMatch(CONNECTED);
  await client.writeLines("your turn");
  await nc.stdout.waitForLine("your turn");
  await nc.write("no line end here");
  await client.stdout.waitForLine("Received: no line end here");
  // nc's input ends: it shuts its side down (-N), and the client says so.
  await nc.closeStdin();
  await client.writeLines("still there?");
  await client.stdout.waitForLine(CLOSED);
  assertEquals((await client.finish()).code, 0);
});

Deno.test("server takes turns with nc as the client", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  await using nc = startNcClient(port);
  await server.stdout.waitForMatch(CONNECTED);

  for (const turn of [1, 2, 3]) {
    await nc.writeLines(`from nc ${turn} 😀`);
    await server.stdout.waitForLine(`Received: from nc ${turn} 😀`);
    await server.writeLines(`from server ${turn} ü`);
    await nc.stdout.waitForLine(`from server ${turn} ü`);
  }
  assertEquals(receivedLines(server.stdout.lines), [
    "Received: from nc 1 😀",
    "Received: from nc 2 😀",
    "Received: from nc 3 😀",
  ]);
  assertEquals(nc.stdout.lines, [
    "from server 1 ü",
    "from server 2 ü",
    "from server 3 ü",
  ]);

  // nc's input ends: -N shuts its sending side, the server reports the close.
  await nc.closeStdin();
  await server.stdout.waitForLine(CLOSED);
  assertEquals((await server.finish()).code, 0);
  assertEquals((await nc.finish()).code, 0);
  assertEquals(server.stderr.lines, []);
});

Deno.test("server drops the \\r of lines that nc -C ends with \\r\\n", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  await using nc = startNcClient(port, { crlf: true });
  await server.stdout.waitForMatch(CONNECTED);
  await nc.writeLines("windows style");
  await server.stdout.waitForMatch(/^Received: windows style/);
  assertEquals(receivedLines(server.stdout.lines), [
    "Received: windows style",
  ]);
});
