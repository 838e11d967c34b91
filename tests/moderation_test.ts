// Moderation end to end: a real server.ts room, the operator typing at its
// console, real client.ts and nc clients. Students who must be told apart by
// address connect with `nc -s 127.0.0.x` (all of 127/8 is this machine).

import { assertEquals, assertOk } from "./support/assert.ts";
import { RunningProcess, runScript } from "./support/process.ts";
import { needProgram, testNeeding } from "./support/requires.ts";
import { startRoomServer } from "./support/room_server.ts";

const NC = needProgram("nc", "netcat-openbsd");

/** `nc` from `source` (a loopback address) joining as `name`. */
async function ncStudent(
  port: number,
  name: string,
  source = "127.0.0.1",
): Promise<RunningProcess> {
  const nc = new RunningProcess("nc", [
    "-n",
    "-N",
    "-s",
    source,
    "127.0.0.1",
    String(port),
  ]);
  await nc.stdout.waitForContaining("*** Welcome");
  await nc.writeLines(name);
  await nc.stdout.waitForContaining(`*** Hello ${name}!`);
  return nc;
}

testNeeding(
  NC,
  "operator kicks a flooding client.ts, which exits with the reason",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using alice = await ncStudent(port, "alice");
    await using flooder = runScript("client.ts", [
      "--port",
      String(port),
      "--name",
      "flooder",
    ]);
    await flooder.stdout.waitForContaining("*** Hello flooder!");
    await flooder.writeLines(
      ...Array.from({ length: 30 }, (_, i) => `spam ${i}`),
    );
    await alice.stdout.waitForContaining("<flooder> spam 29");
    await server.writeLines("/kick flooder please stop");
    await flooder.stdout.waitForLine(
      "*** Disconnected: removed by teacher (please stop)",
    );
    assertEquals((await flooder.child.status).code, 1);
    await alice.stdout.waitForLine(
      "*** host removed flooder from the room (please stop)",
    );
    await server.stdout.waitForContaining(
      "*** host removed flooder from the room (please stop)",
    );
    await alice.writeLines("/who");
    await alice.stdout.waitForLine("*** In the room (2): host, alice");
  },
);

testNeeding(
  NC,
  "a banned address is refused when it comes back under another name",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using alice = await ncStudent(port, "alice", "127.0.0.1");
    await using bob = await ncStudent(port, "bob", "127.0.0.2");
    await server.writeLines("/ban bob 30");
    await bob.stdout.waitForLine(
      "*** Disconnected: banned by teacher for 30 minutes",
    );
    await alice.stdout.waitForLine("*** host banned bob for 30 minutes");

    await using again = new RunningProcess("nc", [
      "-n",
      "-s",
      "127.0.0.2",
      "127.0.0.1",
      String(port),
    ]);
    // Refused at the door, before any name is asked for: whatever name it
    // would have typed, the address is what is banned. (Nothing is sent:
    // bytes left unread when the server closes turn its goodbye into a reset.)
    await again.stdout.waitForLine(
      "*** Disconnected: you are banned from this room for 30 more minute(s)",
    );
    await again.closeStdin();
    await again.stdout.done;
    assertEquals(again.stdout.lines, [
      "*** Disconnected: you are banned from this room for 30 more minute(s)",
    ]);

    await server.writeLines("/bans");
    await server.stdout.waitForContaining(
      "***   127.0.0.2 (bob) for 30 more minute(s)",
    );
    await using carol = await ncStudent(port, "carol", "127.0.0.3");
    await carol.writeLines("hi");
    await alice.stdout.waitForLine("<carol> hi");
  },
);

testNeeding(
  NC,
  "a mute survives /nick: the student reads but each line is refused",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using alice = await ncStudent(port, "alice", "127.0.0.1");
    await using bob = await ncStudent(port, "bob", "127.0.0.2");
    await server.writeLines("/mute bob 5");
    await alice.stdout.waitForLine("*** host muted bob for 5 minutes");
    await bob.writeLines("/nick bobby", "can you hear me?");
    await alice.stdout.waitForLine("*** bob is now known as bobby");
    await bob.stdout.waitForLine(
      "*** Error: You are muted by the teacher; you can still read, and /msg a teacher",
    );
    await alice.writeLines("we can't hear bobby");
    await bob.stdout.waitForLine("<alice> we can't hear bobby");
    await server.writeLines("/unmute bobby");
    await bob.stdout.waitForLine("*** host unmuted bobby");
    await bob.writeLines("and now?");
    await alice.stdout.waitForLine("<bobby> and now?");
    assertOk(!alice.stdout.lines.includes("<bobby> can you hear me?"));
  },
);

testNeeding(
  NC,
  "slow mode and quiet mode are announced and enforced",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await using alice = await ncStudent(port, "alice");
    await using bob = await ncStudent(port, "bob");
    await server.writeLines("/slow 60");
    await alice.stdout.waitForLine(
      "*** host turned slow mode on: one line every 60 seconds per student",
    );
    await bob.writeLines("first", "second");
    await alice.stdout.waitForLine("<bob> first");
    await bob.stdout.waitForMatch(
      /^\*\*\* Error: Slow mode: one line every 60 s; wait 60 s more$/,
    );
    await server.writeLines("/slow 0", "/quiet on");
    await alice.stdout.waitForLine(
      "*** host turned quiet mode on: only teachers may talk",
    );
    await alice.writeLines("may I?");
    await alice.stdout.waitForLine(
      "*** Error: Quiet mode: only the teacher may talk now; you can /msg a teacher",
    );
    await server.writeLines("listen please");
    await alice.stdout.waitForLine("<host> listen please");
    assertOk(!bob.stdout.lines.includes("<bob> second"));
    assertOk(!bob.stdout.lines.includes("<alice> may I?"));
  },
);

testNeeding(
  NC,
  "a topic is shown to a newcomer right after the welcome",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await server.writeLines("/topic Sockets, part 2");
    await server.stdout.waitForContaining(
      "*** host set the topic: Sockets, part 2",
    );
    await using carol = runScript("client.ts", [
      "--port",
      String(port),
      "--name",
      "carol",
    ]);
    await carol.stdout.waitForContaining("*** Hello carol!");
    await carol.stdout.waitForLine("*** Topic: Sockets, part 2");
    const hello = carol.stdout.lines.findIndex((l) =>
      l.includes("Hello carol")
    );
    assertEquals(carol.stdout.lines[hello + 1], "*** Topic: Sockets, part 2");
  },
);

testNeeding(
  NC,
  "/op: a wrong passphrase is refused after 2 s; the right one lets a teacher kick from nc",
  async () => {
    const { server, port } = await startRoomServer([], {
      permissions: ["--allow-env=CHATLAB_PASSWORD,CHATLAB_OP_PASSWORD"],
      env: { CHATLAB_OP_PASSWORD: "owl-42" },
    });
    await using _server = server;
    await using teacher = await ncStudent(port, "teacher", "127.0.0.1");
    await using bob = await ncStudent(port, "bob", "127.0.0.2");
    const started = Date.now();
    await teacher.writeLines("/op owl");
    await teacher.stdout.waitForLine(
      "*** Error: Wrong moderator passphrase",
    );
    const waited = Date.now() - started;
    assertOk(waited >= 1900, `refused after ${waited} ms, not 2000`);
    await teacher.writeLines("/kick bob");
    await teacher.stdout.waitForLine(
      "*** Error: /kick is for teachers (moderators); a teacher becomes one with /op PASSPHRASE",
    );
    await teacher.writeLines("/op owl-42");
    await bob.stdout.waitForLine("*** teacher is now a moderator");
    await teacher.writeLines("/who");
    await teacher.stdout.waitForLine(
      "*** In the room (3): host, @teacher, bob",
    );
    await teacher.writeLines("/kick bob off topic");
    await bob.stdout.waitForLine(
      "*** Disconnected: removed by teacher (off topic)",
    );
    await server.stdout.waitForContaining(
      "*** teacher removed bob from the room (off topic)",
    );
  },
);

testNeeding(
  NC,
  "/lock refuses a new client.ts with the reason; /lock off lets it in",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    await server.writeLines("/lock on");
    await server.stdout.waitForContaining(
      "*** host locked the room: no new joins",
    );
    await using late = runScript("client.ts", [
      "--port",
      String(port),
      "--name",
      "late",
    ]);
    await late.stdout.waitForLine(
      "*** Disconnected: the room is locked; ask the teacher to unlock it",
    );
    assertEquals((await late.child.status).code, 1);
    await server.writeLines("/lock off");
    await server.stdout.waitForContaining("*** host unlocked the room");
    await using ok = await ncStudent(port, "ontime");
    assertOk(ok.stdout.lines.some((line) => line.includes("Hello ontime")));
  },
);
