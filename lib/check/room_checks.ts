/**
 * The room checks: a server that claims to follow PROTOCOL.md's room,
 * checked with many clients played by the checker. Each check starts the
 * server afresh when the checker has its command.
 *
 * @module
 */

import { type Check, failed, type Outcome, passed, shorten } from "./check.ts";
import { RoomClient } from "./room_client.ts";
import { type ProgramContext, startServer } from "./turns_session.ts";

type RoomCheck = Check<ProgramContext>;

/** A room to check: where it listens, and a way to add clients. */
interface Room {
  /** Connects a client (closed when the check ends). */
  connect(): Promise<RoomClient>;
  /** Connects a client and joins as `name`; throws if refused. */
  join(name: string): Promise<RoomClient>;
}

/** Lines sent at a time in the stalled-reader check (100 KB). */
const STALL_CHUNK_LINES = 100;
/**
 * How much the stalled-reader check sends at most: more than the kernel
 * buffers of a client that does not read can hold (about 4 MB on Linux's
 * loopback), so a server that waits on that client is seen to stall.
 */
const STALL_TOTAL_BYTES = 8_000_000;

/** How many clients the crowd check connects at once. */
const CROWD = 100;

/** Names unique to this run, so checks on a running server do not collide. */
const RUN = Math.random().toString(36).slice(2, 6);
function nameOf(who: string): string {
  return `${who}_${RUN}`;
}

async function openRoom(
  context: ProgramContext,
  stack: AsyncDisposableStack,
): Promise<Room> {
  const { host, port } = context.command
    ? { host: context.host, port: (await startServer(context, stack)).port }
    : context.address!;
  const connect = async () => {
    const client = await retryConnect(host, port, context.startMs);
    stack.use(client);
    return client;
  };
  return {
    connect,
    join: async (name) => {
      // A room that is full only because the last check's clients are
      // still leaving (a server already running) is tried again briefly.
      const deadline = Date.now() + context.startMs;
      while (true) {
        const client = await connect();
        if (await client.join(name, context.waitMs)) return client;
        const refusal = client.lines.some((line) =>
          line.startsWith("*** Disconnected")
        );
        if (!refusal || Date.now() > deadline) {
          throw new Error(
            `the room did not accept the name ${shorten(name)}; it sent ${
              shorten(client.lines.join(" | "), 200)
            }`,
          );
        }
        await client[Symbol.asyncDispose]();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

async function retryConnect(
  host: string,
  port: number,
  ms: number,
): Promise<RoomClient> {
  const deadline = Date.now() + ms;
  while (true) {
    try {
      return await RoomClient.open(host, port, ms);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** What a client received from line `from` on, for the report. */
function heard(client: RoomClient, from = 0): string {
  const lines = client.lines.slice(from);
  if (lines.length === 0) return "nothing";
  return lines.slice(-5).map((line) => shorten(line, 70)).join(", ");
}

/** Runs a room check's body on a fresh room. */
function inRoom(
  body: (room: Room, context: ProgramContext) => Promise<Outcome>,
): RoomCheck["run"] {
  return async (context, stack) =>
    body(await openRoom(context, stack), context);
}

const join: RoomCheck = {
  id: "join",
  title: "welcomes, takes a name, announces the newcomer",
  why:
    "PROTOCOL.md's clients (and nc users) wait for the welcome, send a name, and expect `*** Hello NAME!`.",
  hint:
    "Send a line starting with *** on connect, take the first line as the name, answer `*** Hello NAME! In the room (N): ...`, and tell the others `*** NAME joined`.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.connect();
    const sent = `connected, sent the name ${
      nameOf("Ann")
    }, then a second client joined as ${nameOf("Bob")}`;
    if (!await ann.join(nameOf("Ann"), waitMs)) return failed(sent, heard(ann));
    const from = ann.lines.length;
    await room.join(nameOf("Bob"));
    const joined = await ann.waitFor(
      (line) => line === `*** ${nameOf("Bob")} joined`,
      waitMs,
      from,
    );
    return joined >= 0
      ? passed(sent, `welcome, hello and "*** ${nameOf("Bob")} joined"`)
      : failed(sent, `the first client heard ${heard(ann, from)}`);
  }),
};

const uniqueNames: RoomCheck = {
  id: "unique-names",
  title: "a name already taken (in any case) is refused",
  why:
    "Two people with one name make every line ambiguous, and let one pose as the other.",
  hint:
    "Compare names ignoring case (name.lower()); answer a taken one with `*** Error: ...` and let the client try another.",
  run: inRoom(async (room, { waitMs }) => {
    await room.join(nameOf("Ann"));
    const copy = await room.connect();
    await copy.waitFor((line) => line.startsWith("***"), waitMs);
    const from = copy.lines.length;
    copy.send(nameOf("Ann").toUpperCase());
    const sent = `a second client asked for ${
      nameOf("Ann").toUpperCase()
    }, then ${nameOf("Cy")}`;
    const answer = await copy.waitFor(
      (line) => line.startsWith("*** "),
      waitMs,
      from,
    );
    if (answer < 0 || !copy.lines[answer].startsWith("*** Error")) {
      return failed(sent, heard(copy, from));
    }
    const next = copy.lines.length;
    copy.send(nameOf("Cy"));
    const hello = await copy.waitFor(
      (line) => line.startsWith("*** Hello"),
      waitMs,
      next,
    );
    return hello >= 0
      ? passed(sent, `${shorten(copy.lines[answer])}, then hello`)
      : failed(
        sent,
        `refused, but then ${heard(copy, next)}`,
        "After refusing a name, keep the connection and take the next line as a new try.",
      );
  }),
};

const nameRules: RoomCheck = {
  id: "name-rules",
  title: "names outside 1-16 of A-Z a-z 0-9 _ - are refused",
  why:
    "A name with spaces, < > or * could pose as another line's prefix, such as `<teacher>`.",
  hint:
    'Accept only re.fullmatch(r"[A-Za-z0-9_-]{1,16}", name); answer anything else with `*** Error: ...`.',
  run: inRoom(async (room, { waitMs }) => {
    const client = await room.connect();
    await client.waitFor((line) => line.startsWith("***"), waitMs);
    const bad = ["two words", "<teacher>", "*star*", "x".repeat(17)];
    const sent = `tried the names ${
      bad.map((name) => shorten(name)).join(", ")
    }`;
    for (const name of bad) {
      const from = client.lines.length;
      client.send(name);
      const answer = await client.waitFor(
        (line) => line.startsWith("*** "),
        waitMs,
        from,
      );
      if (answer < 0 || !client.lines[answer].startsWith("*** Error")) {
        return failed(sent, `${shorten(name)}: ${heard(client, from)}`);
      }
    }
    return passed(sent, "each answered with *** Error:");
  }),
};

const attribution: RoomCheck = {
  id: "attribution",
  title: "relays each line as <NAME> text, named by the server",
  why:
    "The server, never the client, says who wrote each line; that is what makes a name trustworthy.",
  hint:
    'Relay every line as f"<{name}> {text}" using the name the server stored for that connection.',
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const from = bob.lines.length;
    ann.send("hello room");
    const expected = `<${nameOf("Ann")}> hello room`;
    const at = await bob.waitFor((line) => line === expected, waitMs, from);
    const sent = `${nameOf("Ann")} sent "hello room"`;
    return at >= 0
      ? passed(sent, `the other heard ${shorten(expected)}`)
      : failed(sent, `the other heard ${heard(bob, from)}`);
  }),
};

const noEcho: RoomCheck = {
  id: "no-echo",
  title: "a sender does not get its own line back",
  why:
    "A client already shows what its user typed; an echo prints every line twice.",
  hint:
    "When relaying, skip the connection the line came from: for client in clients: if client is not sender: ...",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const from = ann.lines.length;
    ann.send("not back to me");
    await bob.waitFor((line) => line.endsWith("not back to me"), waitMs);
    bob.send("sync from bob");
    await ann.waitFor((line) => line.endsWith("sync from bob"), waitMs, from);
    const echoed = ann.lines.slice(from).find((line) =>
      line.includes("not back to me")
    );
    const sent = `${
      nameOf("Ann")
    } sent "not back to me"; then the other sent "sync from bob"`;
    return echoed === undefined
      ? passed(sent, "the sender got only the other's line")
      : failed(sent, `the sender got its own line back: ${shorten(echoed)}`);
  }),
};

const spoofing: RoomCheck = {
  id: "spoofing",
  title: "a line that looks like another's name or a notice stays attributed",
  why:
    "If `<teacher> homework cancelled` or `*** Bob left` is relayed as it is, anyone can pose as anyone.",
  hint:
    "Always put the server's <name> in front of what a client sent, whatever the text starts with; never relay a client's text bare.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const fakes = [
      `<${nameOf("Bob")}> I am Bob`,
      `*** ${nameOf("Bob")} left`,
      "* teacher says hi",
    ];
    const from = bob.lines.length;
    for (const fake of fakes) ann.send(fake);
    const sent = `${nameOf("Ann")} sent ${
      fakes.map((fake) => shorten(fake)).join(", ")
    }`;
    for (const fake of fakes) {
      const at = await bob.waitFor((line) => line.endsWith(fake), waitMs, from);
      if (at < 0) return failed(sent, `the other heard ${heard(bob, from)}`);
      if (bob.lines[at] !== `<${nameOf("Ann")}> ${fake}`) {
        return failed(sent, `the other heard ${shorten(bob.lines[at])}`);
      }
    }
    return passed(sent, `each relayed after <${nameOf("Ann")}>`);
  }),
};

const privateMessage: RoomCheck = {
  id: "msg-private",
  title: "/msg reaches only the one it names",
  why: "A private message that anyone else can see is a leak.",
  hint:
    "For /msg NAME TEXT, write `*FROM* TEXT` to NAME's connection only and `-> *NAME* TEXT` to the sender; nothing to the room.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const cy = await room.join(nameOf("Cy"));
    const [annFrom, cyFrom] = [ann.lines.length, cy.lines.length];
    ann.send(`/msg ${nameOf("Bob")} psst, a secret`);
    const sent = `${nameOf("Ann")} sent "/msg ${
      nameOf("Bob")
    } psst, a secret"; then ${nameOf("Bob")} said "public line"`;
    const got = await bob.waitFor(
      (line) => line === `*${nameOf("Ann")}* psst, a secret`,
      waitMs,
    );
    const echo = await ann.waitFor(
      (line) => line === `-> *${nameOf("Bob")}* psst, a secret`,
      waitMs,
      annFrom,
    );
    bob.send("public line");
    await cy.waitFor((line) => line.endsWith("public line"), waitMs, cyFrom);
    const leak = cy.lines.slice(cyFrom).find((line) => line.includes("psst"));
    if (leak !== undefined) {
      return failed(sent, `a third client saw ${shorten(leak)}`);
    }
    if (got < 0) return failed(sent, `the one named heard ${heard(bob)}`);
    if (echo < 0) {
      return failed(
        sent,
        `the sender heard ${heard(ann, annFrom)}`,
        "Tell the sender what was sent: `-> *NAME* TEXT`.",
      );
    }
    return passed(
      sent,
      "only the one named got it; the sender got the -> line",
    );
  }),
};

const history: RoomCheck = {
  id: "history",
  title: "a newcomer is shown the last messages",
  why:
    "Someone who joins late needs the last messages to follow the conversation.",
  hint:
    "Keep the last 20 relayed lines; after `*** Hello`, send `*** Last messages:`, the lines, and `*** End of last messages.`",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    ann.send("for the record");
    await bob.waitFor((line) => line.endsWith("for the record"), waitMs);
    const dee = await room.join(nameOf("Dee"));
    const expected = `<${nameOf("Ann")}> for the record`;
    const at = await dee.waitFor((line) => line === expected, waitMs);
    const sent = `${nameOf("Ann")} said "for the record", then ${
      nameOf("Dee")
    } joined`;
    return at >= 0
      ? passed(sent, `the newcomer got ${shorten(expected)}`)
      : failed(sent, `the newcomer got ${heard(dee)}`);
  }),
};

const oversize: RoomCheck = {
  id: "oversize-line",
  title: "a line over 1024 bytes is refused, not cut",
  why:
    "A cut line says something its writer did not write; PROTOCOL.md refuses it whole and tells the sender.",
  hint:
    "Check the length of the whole line in bytes (len(line.encode())); over 1024, answer the sender `*** Error: ...` and relay nothing.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const [annFrom, bobFrom] = [ann.lines.length, bob.lines.length];
    ann.send("y".repeat(1500));
    const error = await ann.waitFor(
      (line) => line.startsWith("*** Error"),
      waitMs,
      annFrom,
    );
    ann.send("still here");
    await bob.waitFor((line) => line.endsWith("still here"), waitMs, bobFrom);
    const sent = `${
      nameOf("Ann")
    } sent a line of 1500 bytes, then "still here"`;
    const cut = bob.lines.slice(bobFrom).find((line) => line.includes("yyyy"));
    if (cut !== undefined) {
      return failed(
        sent,
        `the others got ${cut.length - cut.indexOf("y")} bytes of it: ${
          shorten(cut)
        }`,
      );
    }
    if (error < 0) {
      return failed(sent, `the sender heard ${heard(ann, annFrom)}`);
    }
    const after = bob.lines.slice(bobFrom).includes(
      `<${nameOf("Ann")}> still here`,
    );
    return after
      ? passed(
        sent,
        `the sender got ${
          shorten(ann.lines[error])
        }; the next line went through`,
      )
      : failed(
        sent,
        `the next line was lost: the others heard ${heard(bob, bobFrom)}`,
      );
  }),
};

/** Characters that act on a terminal: C0 except tab and line end, DEL, C1, bidi. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]/;

const controlCharacters: RoomCheck = {
  id: "control-chars",
  title: "control characters are shown, not relayed raw",
  why:
    "An escape sequence relayed raw acts on every terminal in the room: it can recolour, clear or rewrite the screen.",
  hint:
    "Before relaying, replace each control character (below 0x20 except tab, 0x7F, 0x80-0x9F) with a visible form such as ^[.",
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const from = bob.lines.length;
    ann.send("bell\x07 \x1b[31mred\x1b[0m \x1b]0;title\x07 back\x08\x08");
    const at = await bob.waitFor((line) => line.includes("red"), waitMs, from);
    const sent = `${
      nameOf("Ann")
    } sent "bell\\x07 \\x1b[31mred\\x1b[0m \\x1b]0;title\\x07 back\\x08\\x08"`;
    if (at < 0) return failed(sent, `the other heard ${heard(bob, from)}`);
    const line = bob.lines[at];
    return CONTROL.test(line)
      ? failed(sent, `relayed with raw control characters: ${shorten(line)}`)
      : passed(sent, `relayed as ${shorten(line)}`);
  }),
};

const invalidUtf8: RoomCheck = {
  id: "invalid-utf8",
  title: "bytes that are not UTF-8 do not bring the room down",
  why:
    "Anyone can send any bytes; one bad line must not crash the server and disconnect the whole class.",
  hint:
    'Decode leniently: line.decode("utf-8", errors="replace") turns bad bytes into � instead of raising UnicodeDecodeError.',
  run: inRoom(async (room, { waitMs }) => {
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const from = bob.lines.length;
    ann.send(new Uint8Array([0xff, 0xfe, 0x20, 0x6a, 0x75, 0x6e, 0x6b, 0x0a]));
    ann.send("after the junk");
    const at = await bob.waitFor(
      (line) => line.endsWith("after the junk"),
      waitMs,
      from,
    );
    const sent = `${
      nameOf("Ann")
    } sent the bytes 0xFF 0xFE then " junk\\n", then "after the junk"`;
    if (at < 0) {
      return failed(
        sent,
        `${
          bob.closed ? "the server closed the connection; " : ""
        }the other heard ${heard(bob, from)}`,
      );
    }
    const newcomer = await room.join(nameOf("Eve")).then(
      () => true,
      () => false,
    );
    return newcomer
      ? passed(sent, "the room went on, and a newcomer could join")
      : failed(sent, "a newcomer could not join afterwards");
  }),
};

const crowd: RoomCheck = {
  id: "hundred-clients",
  title: `${CROWD} clients at once all join and hear a line`,
  why: "A class is thirty people or more, all connecting in the same minute.",
  hint:
    "Serve every client at once: a thread per client, or selectors/asyncio; never block on one client while the others wait.",
  run: inRoom(async (room, { waitMs }) => {
    const names = Array.from({ length: CROWD }, (_, i) => `p${i}_${RUN}`);
    const attempts = await Promise.all(
      names.map((name) => room.join(name).catch((error: Error) => error)),
    );
    const sent =
      `${CROWD} connections at once, each with its own name; then the first said "roll call"`;
    const refusals = attempts.filter((attempt) => attempt instanceof Error);
    if (refusals.length > 0) {
      return failed(
        sent,
        `${refusals.length} were not let in; one: ${refusals[0].message}`,
      );
    }
    const clients = attempts as RoomClient[];
    const froms = clients.map((client) => client.lines.length);
    clients[0].send("roll call");
    const heardIt = await Promise.all(
      clients.slice(1).map((client, i) =>
        client.waitFor(
          (line) => line === `<${names[0]}> roll call`,
          waitMs * 3,
          froms[i + 1],
        )
      ),
    );
    const missed = heardIt.filter((at) => at < 0).length;
    return missed === 0
      ? passed(sent, `all ${CROWD} joined; the other ${CROWD - 1} heard it`)
      : failed(sent, `${missed} of ${CROWD - 1} did not hear it`);
  }),
};

const stalledReader: RoomCheck = {
  id: "stalled-reader",
  title: "a client that never reads does not hold up the others",
  why: "One frozen laptop must not freeze the whole class's chat.",
  hint:
    "Never block on one client's send: give each client its own queue (or thread) and drop a client whose queue grows too long.",
  run: inRoom(async (room, { waitMs }) => {
    const frozen = await room.join(nameOf("Frozen"));
    frozen.stopReading();
    const ann = await room.join(nameOf("Ann"));
    const bob = await room.join(nameOf("Bob"));
    const [annFrom, bobFrom] = [ann.lines.length, bob.lines.length];
    const sent =
      `one client stopped reading; another sent lines of 1000 bytes, ${STALL_CHUNK_LINES} at a time, until the server refused or ${
        STALL_TOTAL_BYTES / 1_000_000
      } MB had gone`;
    const refused = (line: string) => line.startsWith("*** Error");
    let lines = 0;
    while (lines * 1000 < STALL_TOTAL_BYTES) {
      for (let i = 0; i < STALL_CHUNK_LINES; i++) {
        ann.send(`line ${lines++} ${"z".repeat(990)}`);
      }
      const last = `line ${lines - 1} `;
      const outcome = await Promise.race([
        bob.waitFor((line) => line.includes(last), waitMs, bobFrom)
          .then((at) => at >= 0 ? "relayed" : "stalled"),
        // A refusal, or the sender cut off for flooding (its last lines can
        // be lost in the reset): either way the server limited the sender.
        ann.waitFor(refused, waitMs, annFrom).then((at) =>
          at >= 0 || ann.closed ? "refused" : "stalled"
        ),
      ]);
      if (outcome === "refused") {
        const error = ann.lines.slice(annFrom).find(refused);
        return passed(
          sent,
          `the server limited the sender (${
            error ? shorten(error) : "it closed the sender's connection"
          }); the third client got every line it let through`,
        );
      }
      if (outcome === "stalled") {
        const got = bob.lines.slice(bobFrom).filter((line) =>
          line.includes(" line ")
        ).length;
        return failed(
          sent,
          `the third client stopped receiving after ${got} of ${lines} lines (${
            Math.round(got / 1000)
          } MB): the server waited on the client that does not read`,
        );
      }
    }
    return passed(
      sent,
      `the third client got all ${lines} lines (${
        Math.round(lines / 1000)
      } MB) while one client read nothing`,
    );
  }),
};

/** Every room check, in the order of the report card. */
export const ROOM_CHECKS: RoomCheck[] = [
  join,
  uniqueNames,
  nameRules,
  attribution,
  noEcho,
  spoofing,
  privateMessage,
  history,
  oversize,
  controlCharacters,
  invalidUtf8,
  crowd,
  stalledReader,
];
