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
import { testNeeding } from "./support/requires.ts";
import { NEEDS_NC, NEEDS_PYTHON3 } from "./support/programs.ts";

const CLOSED = "The other side closed the connection.";
const CONNECTED = /^Connected to 127\.0\.0\.1:\d+\./;

testNeeding(
  NEEDS_PYTHON3,
  "client takes turns with the lesson's Python server",
  async () => {
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
      // without `\n`, in one read, which the client takes as the message.
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
    // dies, its socket closes. The client notices at once, while it waits for typing.
    await lesson.finish();
    assertMatch(lesson.stderr.text, /EOFError/);
    await client.stdout.waitForLine(CLOSED);
    const status = await client.finish();
    assertEquals(client.stderr.lines, []);
    assertEquals(status.code, 0);
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "server takes turns with the lesson's Python client",
  async () => {
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
      // Sent without `\n`: one read, one message, as the lesson's recv(1024).
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
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "server's end of input closes the chat with the lesson's Python client",
  async () => {
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
  },
);

testNeeding(NEEDS_NC, "client takes turns with nc -l", async () => {
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

testNeeding(
  NEEDS_NC,
  "client prints a message from nc -l that has no line end as soon as it is read",
  async () => {
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
    await client.stdout.waitForLine(CLOSED);
    assertEquals((await client.finish()).code, 0);
  },
);

testNeeding(NEEDS_NC, "server takes turns with nc as the client", async () => {
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

testNeeding(
  NEEDS_NC,
  "server drops the \\r of lines that nc -C ends with \\r\\n",
  async () => {
    const { server, port } = await startServer();
    await using _server = server;
    await using nc = startNcClient(port, { crlf: true });
    await server.stdout.waitForMatch(CONNECTED);
    await nc.writeLines("windows style");
    await server.stdout.waitForMatch(/^Received: windows style/);
    assertEquals(receivedLines(server.stdout.lines), [
      "Received: windows style",
    ]);
  },
);

/** Twenty messages each way, in the style: UTF-8, no two alike. */
const FROM_LESSON = Array.from(
  { length: 20 },
  (_, i) => `s${i + 1} héllo from the lesson`,
);
const FROM_CHATLAB = Array.from(
  { length: 20 },
  (_, i) => `c${i + 1} from chatlab, 漢字`,
);

testNeeding(
  NEEDS_PYTHON3,
  "client and the lesson's server, both speaking first at full speed, exchange 20 messages each way, none glued or split",
  async () => {
    const { peer: lesson, port } = await startLessonServer();
    await using _lesson = lesson;
    await using client = runScript("client.ts", ["127.0.0.1", String(port)]);
    await client.stdout.waitForMatch(CONNECTED);
    // Both send first, as the lesson's loop does. Each side's next line is
    // handed over the moment the other side has printed the last one: as
    // fast as the programs go, and fair, since the peer's next message is
    // sent only after chatlab's read of the one before. (Two messages in one
    // read cannot be told apart by any program, the lesson's included.)
    await client.writeLines(FROM_CHATLAB[0]);
    await lesson.writeLines(FROM_LESSON[0]);
    const lessonSide = (async () => {
      for (let i = 0; i < FROM_CHATLAB.length; i++) {
        await lesson.stdout.waitForLine(`Received: ${FROM_CHATLAB[i]}`);
        if (i + 1 < FROM_CHATLAB.length) {
          await client.writeLines(FROM_CHATLAB[i + 1]);
        }
      }
    })();
    for (let i = 0; i < FROM_LESSON.length; i++) {
      await client.stdout.waitForLine(`Received: ${FROM_LESSON[i]}`);
      if (i + 1 < FROM_LESSON.length) {
        await lesson.writeLines(FROM_LESSON[i + 1]);
      }
    }
    await lessonSide;
    await client.closeStdin();
    assertEquals((await client.finish()).code, 0);
    assertEquals(
      receivedLines(client.stdout.lines),
      FROM_LESSON.map((text) => `Received: ${text}`),
    );
    assertEquals(
      receivedLines(lesson.stdout.lines),
      FROM_CHATLAB.map((text) => `Received: ${text}`),
    );
  },
);

testNeeding(
  NEEDS_PYTHON3,
  "server and the lesson's client, all input piped at once, exchange 20 messages each way, none glued or split",
  async () => {
    const { server, port } = await startServer();
    await using _server = server;
    await using lesson = startLessonClient(port);
    await server.stdout.waitForMatch(CONNECTED);
    // As `printf ... | program` does: every line at once, then the end. The
    // lesson's client sends its next message only after reading our answer,
    // so one message at a time is in flight, however fast both go.
    await lesson.writeLines(...FROM_LESSON);
    await lesson.closeStdin();
    await server.writeLines(...FROM_CHATLAB);
    await server.closeStdin();
    await server.stdout.waitForLine(CLOSED);
    assertEquals((await server.finish()).code, 0);
    await lesson.finish();
    assertEquals(
      receivedLines(server.stdout.lines),
      FROM_LESSON.map((text) => `Received: ${text}`),
    );
    assertEquals(
      receivedLines(lesson.stdout.lines),
      FROM_CHATLAB.map((text) => `Received: ${text}`),
    );
  },
);
