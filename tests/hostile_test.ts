// The hostile-text corpus end to end: a real room server relays it to a real
// client.ts, whose stdout (and the operator's, on the server) is checked byte
// by byte: valid UTF-8, and no character a terminal would obey.

import { assertEquals, assertOk } from "./support/assert.ts";
import { startNcListener } from "./support/peers.ts";
import { RunningProcess, runScript } from "./support/process.ts";
import { RawClient } from "./support/raw_client.ts";
import { testNeeding } from "./support/requires.ts";
import { NEEDS_NC } from "./support/programs.ts";

/** Combining marks a base character keeps, as the README says ("more than 8"). */
const MARKS_KEPT = 8;
const ESC = "\x1b";
const BEL = "\x07";
const ST = `${ESC}\\`;
const RLO = "\u202e";
const COMBINING_LONG_STROKE = "\u0336";
const REPLACEMENT = "\ufffd";

/** What a peer sends, and what a terminal must show instead. */
const CORPUS: readonly [input: string, shown: string][] = [
  [`${ESC}]0;pwned${BEL}${ESC}[2J`, "^[]0;pwned^G^[[2J"],
  [`${ESC}[21t`, "^[[21t"],
  ["\u009b21t", "<U+009B>21t"],
  [`${ESC}P$q"p${ST}`, '^[P$q"p^[\\'],
  [`${ESC}]50;?${BEL}`, "^[]50;?^G"],
  [`${ESC}]52;c;cm0gLXJmIH4K${BEL}`, "^[]52;c;cm0gLXJmIH4K^G"],
  [`invoice${RLO}fdp.exe`, "invoice<U+202E>fdp.exe"],
  ["\u2066isolated\u2069 \u200f", "<U+2066>isolated<U+2069> <U+200F>"],
  [
    `Z${COMBINING_LONG_STROKE.repeat(60)}!`,
    `Z${COMBINING_LONG_STROKE.repeat(MARKS_KEPT)}!`,
  ],
  ["nul\0byte", "nul^@byte"],
  ["safe\revil", "safe^Mevil"],
  ["back\b\bspace and del\x7f", "back^H^Hspace and del^?"],
  ["next\x85line", "next<U+0085>line"],
  // Text that is not hostile passes untouched.
  ["tab\there, é 漢字 😀 👩‍👩‍👧", "tab\there, é 漢字 😀 👩‍👩‍👧"],
];

/**
 * Characters that must never reach a terminal raw: C0 controls but TAB and
 * the LF that ends each line, DEL, C1, and bidi controls.
 */
const FORBIDDEN =
  // deno-lint-ignore no-control-regex
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** More combining marks in a row than a base character keeps. */
const ZALGO = new RegExp(`\\p{M}{${MARKS_KEPT + 1},}`, "u");

/** Fails unless `bytes` are valid UTF-8 without a forbidden character. */
function assertTerminalSafe(bytes: Uint8Array, who: string): void {
  assertOk(bytes.length > 0, `${who} printed nothing`);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const bad = [...text.matchAll(FORBIDDEN)].map((match) =>
    `U+${
      match[0].codePointAt(0)!.toString(16).padStart(4, "0")
    } at ${match.index}`
  );
  assertEquals(bad, [], `${who} printed raw controls`);
  assertOk(!ZALGO.test(text), `${who} printed a long run of marks`);
}

/** Stdout kept byte for byte, as well as in lines. */
const RAW = { stdoutBytes: true } as const;

/** Starts `server.ts --room` with its stdout captured raw. */
async function startCapturedRoom(): Promise<{
  server: RunningProcess;
  port: number;
}> {
  const server = runScript("server.ts", [
    "--room",
    "--port",
    "0",
    "--rate-limit",
    "1000,1000",
  ], RAW);
  const match = await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/);
  await server.stdout.waitForLineStarting("*** Room open");
  return { server, port: Number(match[1]) };
}

/** `client.ts --name NAME` in the room, its stdout captured raw. */
async function joinClient(port: number, name: string) {
  const client = runScript("client.ts", [
    "--port",
    String(port),
    "--name",
    name,
  ], RAW);
  await client.stdout.waitForLineStarting(`*** Hello ${name}!`);
  return client;
}

/** Fails unless every one of `expected` is among `lines`. */
function assertIncludes(lines: string[], expected: string[]): void {
  const missing = expected.filter((line) => !lines.includes(line));
  assertEquals(missing, [], `missing lines; got:\n${lines.join("\n")}`);
}

Deno.test("hostile text in chat lines, /me and /msg reaches client.ts only as visible escapes", async () => {
  const { server, port } = await startCapturedRoom();
  await using _server = server;
  await using reader = await joinClient(port, "reader");
  await using mallory = await RawClient.join(port, "mallory");
  for (const [input] of CORPUS) {
    await mallory.send(input, `/me ${input}`, `/msg reader ${input}`);
  }
  await mallory.send("END");
  await reader.stdout.waitForLine("<mallory> END");
  await server.stdout.waitForLine("<mallory> END");

  assertIncludes(
    reader.stdout.lines,
    CORPUS.flatMap(([, shown]) => [
      `<mallory> ${shown}`,
      `* mallory ${shown}`,
      `*mallory* ${shown}`,
    ]),
  );
  await mallory.waitForLine(`-> *reader* ${CORPUS.at(-1)![1]}`);
  assertIncludes(
    mallory.lines,
    CORPUS.map(([, shown]) => `-> *reader* ${shown}`),
  );
  assertIncludes(
    server.stdout.lines,
    CORPUS.flatMap(([, shown]) => [`<mallory> ${shown}`, `* mallory ${shown}`]),
  );
  assertTerminalSafe(reader.stdoutBytes, "client.ts");
  assertTerminalSafe(server.stdoutBytes, "server.ts");
});

testNeeding(
  NEEDS_NC,
  "hostile text sent by nc, live and in the history, reaches client.ts only as visible escapes",
  async () => {
    const { server, port } = await startCapturedRoom();
    await using _server = server;
    await using nc = new RunningProcess("nc", [
      "-n",
      "127.0.0.1",
      String(port),
    ]);
    await nc.writeLines("prankster");
    await nc.stdout.waitForContaining("*** Hello prankster!");
    await nc.writeLines(...CORPUS.map(([input]) => input), "before");
    await server.stdout.waitForContaining("<prankster> before");

    // The reader joins later: the corpus comes as history, then live.
    await using reader = await joinClient(port, "reader");
    await reader.stdout.waitForContaining("*** End of last messages.");
    const start = reader.stdout.lines.indexOf("*** Last messages:");
    const history = reader.stdout.lines.slice(
      start + 1,
      reader.stdout.lines.indexOf("*** End of last messages."),
    );
    assertEquals(history, [
      ...CORPUS.map(([, shown]) => `<prankster> ${shown}`),
      "<prankster> before",
    ]);
    await nc.writeLines(...CORPUS.map(([input]) => `/me ${input}`), "after");
    await reader.stdout.waitForContaining("<prankster> after");
    assertIncludes(
      reader.stdout.lines,
      CORPUS.map(([, shown]) => `* prankster ${shown}`),
    );
    assertTerminalSafe(reader.stdoutBytes, "client.ts");
    assertTerminalSafe(server.stdoutBytes, "server.ts");
  },
);

Deno.test("hostile names and commands come back to client.ts only as visible escapes", async () => {
  const { server, port } = await startCapturedRoom();
  await using _server = server;
  await using reader = await joinClient(port, "reader");

  // Names are a safe set: hostile ones are refused, quoted as visible escapes.
  await using prankster = await RawClient.connect(port);
  await prankster.send(`${ESC}[2Jroot`);
  await prankster.waitForLineStarting(
    '*** Error: Name "^[[2Jroot" may only use letters',
  );
  await prankster.send(`admin${RLO}`);
  await prankster.waitForLineStarting(
    '*** Error: Name "admin<U+202E>" may only use letters',
  );
  await prankster.send("prankster");
  await prankster.waitForLineStarting("*** Hello prankster!");
  await prankster.send(`/nick ${ESC}]0;x${BEL}`);
  await prankster.waitForLineStarting(
    '*** Error: Name "^[]0;x^G" may only use letters',
  );

  // What the reader types is echoed back in errors, made safe too.
  await reader.writeLines(
    `/${ESC}[2J`,
    `/msg ${ESC}]0;x${BEL} hi`,
    `/msg prankster ${ESC}[6n`,
    "/who",
  );
  await reader.stdout.waitForLine(
    "*** In the room (3): host, reader, prankster",
  );
  assertIncludes(reader.stdout.lines, [
    '*** Error: Unknown command "/^[[2J"; type /help',
    '*** Error: Nobody called "^[]0;x^G" is here; type /who',
    "-> *prankster* ^[[6n",
  ]);
  await prankster.waitForLine("*reader* ^[[6n");
  assertTerminalSafe(reader.stdoutBytes, "client.ts");
  assertTerminalSafe(server.stdoutBytes, "server.ts");
});

Deno.test("invalid UTF-8 and raw C1 bytes reach client.ts as U+FFFD, encoded controls as escapes", async () => {
  const { server, port } = await startCapturedRoom();
  await using _server = server;
  await using reader = await joinClient(port, "reader");
  await using mallory = await RawClient.join(port, "mallory");
  const bytes = (...parts: (string | number[])[]) =>
    new Uint8Array(
      parts.flatMap((part) =>
        typeof part === "string" ? [...new TextEncoder().encode(part)] : part
      ),
    );
  await mallory.sendRaw(bytes("raw CSI ", [0x9b], "2J\n"));
  await mallory.sendRaw(bytes("junk ", [0xff, 0xfe, 0xc3], " end\n"));
  await mallory.sendRaw(bytes("encoded CSI ", [0xc2, 0x9b], "2J\n"));
  await mallory.sendRaw(bytes("encoded RLO ", [0xe2, 0x80, 0xae], "x\n"));
  await mallory.sendRaw(bytes("raw ESC ", [0x1b], "[2J\r\n"));
  await mallory.sendRaw(bytes("cut short ", [0xf0, 0x9f, 0x98], "\n"));
  await mallory.send("END");
  await reader.stdout.waitForLine("<mallory> END");
  assertIncludes(reader.stdout.lines, [
    `<mallory> raw CSI ${REPLACEMENT}2J`,
    `<mallory> junk ${REPLACEMENT}${REPLACEMENT}${REPLACEMENT} end`,
    "<mallory> encoded CSI <U+009B>2J",
    "<mallory> encoded RLO <U+202E>x",
    "<mallory> raw ESC ^[[2J",
    `<mallory> cut short ${REPLACEMENT}`,
  ]);
  assertTerminalSafe(reader.stdoutBytes, "client.ts");
  assertTerminalSafe(server.stdoutBytes, "server.ts");
});

testNeeding(
  NEEDS_NC,
  "lines from a hostile server reach client.ts only as visible escapes",
  async () => {
    // Not every server is chatlab: here nc plays a room that sends raw bytes.
    const fake = await startNcListener();
    await using _fake = fake.peer;
    await using reader = runScript("client.ts", [
      "--port",
      String(fake.port),
      "--name",
      "reader",
    ], RAW);
    await fake.peer.writeLines(`*** Welcome${ESC}]0;owned${BEL}`);
    await fake.peer.stdout.waitForContaining("reader");
    await fake.peer.writeLines(...CORPUS.map(([input]) => input), "END");
    await reader.stdout.waitForContaining("END");
    assertIncludes(reader.stdout.lines, [
      "*** Welcome^[]0;owned^G",
      ...CORPUS.map(([, shown]) => shown),
    ]);
    assertTerminalSafe(reader.stdoutBytes, "client.ts");
  },
);
