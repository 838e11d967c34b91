// README's "Why a chat needs framing", run as written: the lesson's Python
// programs through `deno task proxy --split 3` and `--merge 200` really do
// print broken and glued messages (so the demonstration stays true), and
// chatlab's programs through the same proxy print every message whole. The
// commands run in a private network, on the README's ports; the README's
// captured output must be what these runs print.

import { assertEquals, assertOk } from "./support/assert.ts";
import { codeBlocks, readDoc } from "./support/docs.ts";
import {
  PRIVATE_NETWORK_MISSING,
  PrivateNetwork,
} from "./support/private_network.ts";
import type { RunningProcess } from "./support/process.ts";
import { firstMissing, testNeeding } from "./support/requires.ts";
import { receivedLines } from "./support/chat.ts";
import { eventually } from "./support/wait.ts";
import { NEEDS_PYTHON3 } from "./support/programs.ts";

/** The README's commands, as written (tests/doc_commands_test.ts lists them). */
const FRAMING_COMMANDS = {
  lessonServer: "python3 tests/peers/lesson_server.py 127.0.0.1 6000",
  lessonClient: "python3 tests/peers/lesson_client.py 127.0.0.1 5555",
  splitProxy:
    "deno task proxy --listen 5555 --to 127.0.0.1:6000 --split 3 --wire",
  mergeProxy:
    "deno task proxy --listen 5555 --to 127.0.0.1:6000 --merge 200 --wire",
  turnsServer: "deno task server --port 6000 --wire",
  turnsClient: "deno task client",
  chatServer: "deno task server --port 6000 --mode chat",
  chatClient: "deno task client --mode chat",
} as const;

const C = FRAMING_COMMANDS;
const SECTION = "## Why a chat needs framing";

/** The README section's text, up to the next section. */
function section(): string {
  const readme = readDoc("README.md");
  const start = readme.indexOf(SECTION);
  assertOk(start >= 0, `README has "${SECTION}"`);
  const end = readme.indexOf("\n## ", start + SECTION.length);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The captured output block that follows `caption` in the section. */
function shown(caption: string): string[] {
  const text = section();
  // A caption may wrap onto the next line of the Markdown.
  const at = text.replaceAll("\n", " ").indexOf(caption);
  assertOk(at >= 0, `README's framing section says "${caption}"`);
  const block = codeBlocks(text.slice(at)).find((b) => b.language === "text");
  assertOk(block, `a text block after "${caption}"`);
  return block.text.trimEnd().split("\n");
}

/** Lines a program printed (not typed) in a captured terminal. */
function printed(lines: string[]): string[] {
  return lines.filter((line) => /^(Received: |Listening on )/.test(line));
}

/** Starts the proxy and waits until it listens. */
async function startProxy(
  network: PrivateNetwork,
  command: string,
): Promise<RunningProcess> {
  const proxy = network.run(command);
  await proxy.stdout.waitForMatch(/^Proxy listening on 127\.0\.0\.1:5555/);
  return proxy;
}

Deno.test("README's framing section shows each of its commands in an sh block", () => {
  const commands = codeBlocks(section())
    .filter((block) => block.language === "sh")
    .flatMap((block) => block.text.split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "");
  assertEquals(new Set(commands), new Set(Object.values(C)));
});

const NEEDS = firstMissing(PRIVATE_NETWORK_MISSING, NEEDS_PYTHON3);

testNeeding(
  NEEDS,
  "README's framing: through --split 3 the lesson's server prints one message in pieces",
  async () => {
    await using network = await PrivateNetwork.create("192.168.1.23");
    const server = network.run(C.lessonServer);
    await server.stdout.waitForContaining("Listening on 6000");
    const proxy = await startProxy(network, C.splitProxy);
    const client = network.run(C.lessonClient);
    await proxy.stdout.waitForMatch(/^#1 connected from /);
    await server.writeLines("good morning class");
    // The whole of it has reached the client before the client speaks.
    await proxy.stderr.waitForMatch(/#1 client → wrote 3 bytes +│ ass$/);
    await client.writeLines("hello there");
    await server.stdout.waitForMatch(/^Received: /);
    await client.stdout.waitForContaining("Received: good morning class");
    // The rest of "hello there" is delivered while the server's user types.
    await proxy.stderr.waitForMatch(/#1 server → wrote 2 bytes +│ re$/);
    await server.writeLines("how are you");
    await waitForCount(server, 2);
    const [first, second] = server.stdout.lines.filter((l) =>
      l.startsWith("Received: ")
    ).map((line) => line.slice("Received: ".length));
    // The demonstration holds: one message, printed in two broken parts.
    assertOk(first !== "hello there" && first.length > 0, first);
    assertEquals(first + second, "hello there");
    // And the README shows such a run (the usual one: the first read takes
    // the first piece alone, 10 ms before the next).
    const documented = printed(shown("The lesson's server prints:"));
    assertEquals(documented, [
      "Listening on 6000",
      "Received: hel",
      "Received: lo there",
    ]);
    if (first === "hel") {
      assertEquals(printed(server.stdout.lines), documented);
    }
    assertEquals(
      printed(shown("The lesson's client prints:")),
      printed(client.stdout.lines),
    );
  },
);

testNeeding(
  NEEDS,
  "README's framing: through --merge 200 the lesson's server prints two messages as one",
  async () => {
    await using network = await PrivateNetwork.create("192.168.1.23");
    const server = network.run(C.lessonServer);
    await server.stdout.waitForContaining("Listening on 6000");
    const proxy = await startProxy(network, C.mergeProxy);
    const client = network.run(C.lessonClient);
    await proxy.stdout.waitForMatch(/^#1 connected from /);
    await server.writeLines("good morning class");
    await proxy.stderr.waitForMatch(
      /#1 client → wrote 18 bytes +│ good morning class$/,
    );
    // Two lines pasted at once into the client.
    await client.write("hello\nhow are you\n");
    await server.stdout.waitForMatch(/^Received: /);
    await client.stdout.waitForContaining("Received: good morning class");
    assertEquals(printed(server.stdout.lines), [
      "Listening on 6000",
      "Received: hellohow are you",
    ]);
    assertEquals(
      printed(shown("Through --merge 200, the lesson's server prints:")),
      printed(server.stdout.lines),
    );
  },
);

testNeeding(
  PRIVATE_NETWORK_MISSING,
  "README's framing: chatlab's programs through the same proxies print every message whole",
  async (t) => {
    await t.step("take turns through --split 3", async () => {
      await using network = await PrivateNetwork.create("192.168.1.23");
      const server = network.run(C.turnsServer);
      await server.stdout.waitForMatch(/^Listening on 127\.0\.0\.1:6000$/);
      const proxy = await startProxy(network, C.splitProxy);
      const client = network.run(C.turnsClient);
      await client.stdout.waitForMatch(/^Connected to /);
      await client.writeLines("hello there");
      await server.stdout.waitForContaining("Received: hello there");
      await server.writeLines("good morning class");
      await client.stdout.waitForContaining("Received: good morning class");
      await proxy.stderr.waitForMatch(/#1 server → wrote 3 bytes +│ lo $/);
      assertEquals(
        printed(shown("chatlab's server prints:")),
        printed(server.stdout.lines),
      );
      assertEquals(
        printed(shown("chatlab's client prints:")),
        printed(client.stdout.lines),
      );
      // Its --wire shows the pieces it read: the message came in several.
      const reads = server.stderr.lines.filter((l) => l.includes("← read"))
        .map((l) => l.replace(/^\S+ /, "").trimEnd());
      const firstLine = reads.slice(
        0,
        reads.findIndex((l) => l.endsWith("\\n")) + 1,
      );
      assertOk(firstLine.length >= 2, reads.join("\n"));
      const wireShown = shown("and its wire view shows the reads:")
        .filter((l) => l.includes("← read"))
        .map((l) => l.replace(/^\S+ /, ""));
      assertEquals(wireShown, [
        "← read 3 bytes    │ hel",
        "← read 3 bytes    │ lo",
        "← read 3 bytes    │ the",
        "← read 3 bytes    │ re\\n",
      ]);
      // The usual run reads each piece alone, as the README shows.
      if (firstLine.length === 4) assertEquals(firstLine, wireShown);
    });
    await t.step("chat through --merge 200", async () => {
      await using network = await PrivateNetwork.create("192.168.1.23");
      const server = network.run(C.chatServer);
      await server.stdout.waitForMatch(/^Listening on 127\.0\.0\.1:6000$/);
      const proxy = await startProxy(network, C.mergeProxy);
      const client = network.run(C.chatClient);
      await client.stdout.waitForMatch(/^Connected to /);
      await client.write("hello\nhow are you\n");
      await server.stdout.waitForContaining("Received: how are you");
      // The proxy glued them into one write; chatlab still sees two lines.
      await proxy.stderr.waitForMatch(
        /#1 server → wrote 18 bytes +│ hello\\nhow are you\\n$/,
      );
      assertEquals(printed(server.stdout.lines), [
        "Listening on 127.0.0.1:6000",
        "Received: hello",
        "Received: how are you",
      ]);
      assertEquals(
        printed(shown("Through --merge 200, chatlab's server prints:")),
        printed(server.stdout.lines),
      );
    });
  },
);

/** Waits until `process` printed `count` Received lines. */
async function waitForCount(
  process: RunningProcess,
  count: number,
): Promise<void> {
  await eventually(
    () => `${count} messages:\n${process.stdout.text}`,
    () => receivedLines(process.stdout.lines).length >= count,
    { intervalMs: 20 },
  );
}
