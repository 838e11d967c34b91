// Every command that README.md, PROTOCOL.md, CONTRIBUTING.md, compose.yaml
// and the Dockerfile show is run by a test exactly as written, or has a
// stated reason why not here. The commands are read from the files: a
// documented command without an entry in COMMANDS fails the first test.
//
// Commands run in a private network (a namespace where 192.168.1.23 is
// this computer's own address), so the README's teacher listens on port
// 5555 and its students connect to 192.168.1.23 as written, and nothing
// leaves the namespace.

import { assertEquals, assertMatch, assertOk } from "./support/assert.ts";
import { codeBlocks, readDoc } from "./support/docs.ts";
import { DOCKER_COMMANDS, documentedCommands } from "./support/doc_commands.ts";
import {
  PRIVATE_NETWORK_MISSING,
  PrivateNetwork,
} from "./support/private_network.ts";
import { runToExit } from "./support/process.ts";
import { ScratchDir } from "./support/scratch.ts";
import { ROOT } from "./support/paths.ts";
import { firstMissing, needProgram, testNeeding } from "./support/requires.ts";

/** The address the README gives the teacher's computer. */
const LAN_ADDRESS = "192.168.1.23";

/** How a documented command is exercised. */
type Check =
  /** Run here, exactly as written, by the named scenario below. */
  | { run: Scenario }
  /** Run by another test or by CI; `file` must contain the command. */
  | { by: string }
  /** In DOCKER_COMMANDS, for the Docker test (tests/support/doc_commands.ts). */
  | { docker: true }
  /** A Windows line: its POSIX twin (run here) or what it stands for. */
  | { windows: string }
  /** Not runnable here, and why. */
  | { manual: string };

type Scenario =
  | "class"
  | "moderation"
  | "history"
  | "web"
  | "tls"
  | "pairs"
  | "single";

// The commands, as the docs write them.
const TEACHER =
  "CHATLAB_PASSWORD=sesame deno task server --room --host 0.0.0.0 --name teacher";
const STUDENT =
  "CHATLAB_PASSWORD=sesame deno task client --host 192.168.1.23 --name alice";
const NC = "nc 192.168.1.23 5555";
const OPENSSL =
  `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \\
  -keyout key.pem -out cert.pem -days 30 -subj "/CN=chatlab" \\
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:192.168.1.23" \\
  -addext "basicConstraints=critical,CA:FALSE"`;
const CERT_TASK = "deno task cert";
const MODERATED = "CHATLAB_OP_PASSWORD=owl-42 deno task server --room";
const WITH_HISTORY = "deno task server --room --db class.sqlite";
const WITH_WEB = "deno task server --room --web 8080";
const TLS_TEACHER =
  "CHATLAB_PASSWORD=sesame deno task server:tls --room --host 0.0.0.0 --name teacher";
const TLS_STUDENT =
  "CHATLAB_PASSWORD=sesame deno task client:tls --host 192.168.1.23 --name alice";

/** The test that runs README's "Why a chat needs framing" as written. */
const FRAMING = "tests/framing_lesson_test.ts";

/** Server and client commands run as pairs: [server, client, mode]. */
const PAIRS: [string, string, "turns" | "chat" | "room"][] = [
  [
    "deno task server     # terminal 1: waits for a client on 127.0.0.1:5555",
    "deno task client     # terminal 2: connects; you speak first",
    "turns",
  ],
  ["deno task server", "deno task client", "turns"],
  ["deno task server --mode chat", "deno task client --mode chat", "chat"],
  ["deno task server --room", "deno task client --name alice", "room"],
  [
    "deno task server --host 0.0.0.0",
    "deno task client --host 192.168.1.23   # the address from step 1",
    "turns",
  ],
  ["./server.ts", "./client.ts", "turns"],
];

/** Commands run alone: the text, and what a correct run prints (or `null`: exits 0). */
const SINGLES: [string, RegExp | null][] = [
  ["deno task server --port 6000", /^Listening on 127\.0\.0\.1:6000$/],
  ["deno task client --help", /^Usage: client\.ts /],
  ["deno task proxy --help", /^Usage: deno task proxy /],
  ["hostname -I", /\b192\.168\.1\.23\b/],
  ["ip -4 addr", /inet 192\.168\.1\.23\/24/],
  // The Dockerfile's RUN: cache everything (chatlab has no dependencies).
  ["deno cache server.ts client.ts", null],
];

const COMMANDS: Record<string, Check> = {
  // README's "Why a chat needs framing" (the lesson through the proxy).
  "python3 tests/peers/lesson_server.py 127.0.0.1 6000": { by: FRAMING },
  "python3 tests/peers/lesson_client.py 127.0.0.1 5555": { by: FRAMING },
  "deno task proxy --listen 5555 --to 127.0.0.1:6000 --split 3 --wire": {
    by: FRAMING,
  },
  "deno task proxy --listen 5555 --to 127.0.0.1:6000 --merge 200 --wire": {
    by: FRAMING,
  },
  "deno task server --port 6000 --wire": { by: FRAMING },
  "deno task server --port 6000 --mode chat": { by: FRAMING },
  [TEACHER]: { run: "class" },
  [STUDENT]: { run: "class" },
  [NC]: { run: "class" },
  [OPENSSL]: { run: "tls" },
  [MODERATED]: { run: "moderation" },
  [WITH_HISTORY]: { run: "history" },
  [WITH_WEB]: { run: "web" },
  "deno task screenshots": {
    manual:
      "rewrites docs/*.png in the checkout; the page it shows is tested in tests/web/web_test.ts",
  },
  "deno run --allow-net --allow-read=DIR --allow-write=DIR server.ts ...": {
    manual: `a template (DIR is the user's folder); "${WITH_HISTORY}" is run`,
  },
  [CERT_TASK]: { run: "tls" },
  [TLS_TEACHER]: { run: "tls" },
  [TLS_STUDENT]: { run: "tls" },
  ...Object.fromEntries(
    PAIRS.flatMap(([server, client]) => [[server, { run: "pairs" }], [
      client,
      { run: "pairs" },
    ]]),
  ),
  ...Object.fromEntries(
    SINGLES.map(([command]) => [command, { run: "single" }]),
  ),
  ...Object.fromEntries(
    DOCKER_COMMANDS.map((command) => [command, { docker: true }]),
  ),
  '$env:CHATLAB_PASSWORD = "sesame"': {
    windows: "PowerShell's CHATLAB_PASSWORD=sesame (no PowerShell here)",
  },
  "set CHATLAB_PASSWORD=sesame": {
    windows: "cmd's CHATLAB_PASSWORD=sesame (no cmd here)",
  },
  "deno task server --room --host 0.0.0.0 --name teacher": {
    windows: TEACHER,
  },
  "npx -y deno@2.9.6": {
    manual:
      "a stand-in for deno, not a whole command; it fetches Deno from npm, and tests stay off the network",
  },
  "ipconfig getifaddr en0": { manual: "macOS only" },
  "./server.ts": { run: "pairs" },
  "./client.ts": { run: "pairs" },
  "ipconfig": { manual: "Windows only" },
  "sudo ufw allow 5555/tcp": { manual: "changes this machine's firewall" },
  "sudo ufw delete allow 5555/tcp": {
    manual: "changes this machine's firewall",
  },
  "sudo firewall-cmd --add-port=5555/tcp": {
    manual: "changes this machine's firewall",
  },
  'New-NetFirewallRule -DisplayName "chatlab 5555" -Direction Inbound -Protocol TCP -LocalPort 5555 -Action Allow -Profile Private':
    { manual: "Windows only; changes the firewall" },
  'Remove-NetFirewallRule -DisplayName "chatlab 5555"': {
    manual: "Windows only; changes the firewall",
  },
  "nc HOST PORT": {
    manual: `a template (PROTOCOL.md); "${NC}" is run as written`,
  },
  "exec deno run --allow-net server.ts --host 0.0.0.0 --port 5555 <<'END'": {
    by: "tests/lab/lab_test.ts",
  },
  "exec deno run --allow-net client.ts --host server --port 5555 <<'END'": {
    by: "tests/lab/lab_test.ts",
  },
  "deno task test       # everything below except the lab; no root needed": {
    by: ".ci/run",
  },
  "deno task test": { by: ".ci/run" },
  "deno task test:lab   # the two-computer lab: Docker and network namespaces (root)":
    { by: ".ci/run" },
  "bash .ci/run         # what CI runs, from a fresh clone (as root: it installs)":
    { manual: "it is CI itself, which runs this test" },
  "sudo apt-get install netcat-openbsd python3 openssl tmux nodejs gcc iproute2 docker-compose docker.io":
    {
      manual:
        "installs packages on this machine (.ci/run does); tests/programs_test.ts checks the list against the table",
    },
  "docker compose up --build --abort-on-container-failure": {
    manual: "Compose 2.27 and later only; Debian's Compose v1 lacks it",
  },
  "docker run --name NAME --rm -i -p 127.0.0.1::5555 chatlab": {
    by: "tests/lab/docker_test.ts",
  },
  "deno task test:lab   # the two-computer lab in network namespaces (root)": {
    by: ".ci/run",
  },
  "deno task test:lab                          # as root": { by: ".ci/run" },
  "deno task test:lab": { by: ".ci/run" },
  "deno fmt --check": { by: ".ci/run" },
  "deno lint": { by: ".ci/run" },
  "deno check": { by: ".ci/run" },
  "docker-compose -f compose.yaml config -q": { by: ".ci/run" },
  'sudo "$(command -v deno)" task test:lab     # from a normal account': {
    manual: "needs sudo from a normal account; CI runs deno task test:lab",
  },
  "bash .ci/run         # what CI runs, from a fresh clone": {
    manual: "it is CI itself, which runs this test",
  },
  "deno task bench": {
    manual: "takes about 9 minutes on 2 cores; bench --quick is tested",
  },
  "deno task bench --quick": { by: "bench/bench_smoke_test.ts" },
  "deno task bench --render bench/results/latest.json": {
    by: "bench/bench_smoke_test.ts",
  },
  "deno task check --server-cmd 'python3 tests/peers/lesson_server.py 127.0.0.1 {port}'":
    { by: "tests/check_test.ts" },
  "deno task check --client-cmd 'python3 tests/peers/lesson_client.py {host} {port}'":
    { by: "tests/check_test.ts" },
  "deno task check --mode room --server-cmd 'deno run --allow-net --allow-env=CHATLAB_PASSWORD server.ts --room --port 0'":
    { by: "tests/check_test.ts" },
  "cd tests/peers": { by: "tests/check_test.ts" },
  "mkdir -p reports": { by: "tests/check_test.ts" },
  "for program in *_room_server.py; do": { by: "tests/check_test.ts" },
  '  deno task --config ../../deno.json check --mode room --json --server-cmd "python3 $program 127.0.0.1 {port}" > "reports/${program%.py}.json"':
    { by: "tests/check_test.ts" },
  "done": { by: "tests/check_test.ts" },
  "deno task check": {
    manual: `the task's name in prose; its commands below are run as written`,
  },
  "sudo apt-get install gcc": {
    manual: "installs a package on this machine (.ci/run does)",
  },
};

Deno.test("every documented command has an entry saying how it is run", () => {
  const missing = documentedCommands()
    .filter((command) => COMMANDS[command.text] === undefined)
    .map((command) => `${command.file}: ${command.text}`);
  assertEquals(missing, [], "documented commands without an entry");
});

Deno.test("every entry is a command still documented", () => {
  const documented = new Set(documentedCommands().map((c) => c.text));
  const stale = Object.keys(COMMANDS).filter((text) =>
    !documented.has(text) && !DOCKER_COMMANDS.includes(text)
  );
  assertEquals(stale, []);
});

Deno.test("commands run by another test or by CI are in that file, as written", () => {
  for (const [text, check] of Object.entries(COMMANDS)) {
    if (!("by" in check)) continue;
    const source = readDoc(check.by);
    const bare = text.replace(/\s+#.*$/, "");
    if (check.by === "tests/lab/lab_test.ts") {
      // The lab reads compose.yaml's commands from the file itself.
      assertMatch(source, /compose/);
    } else if (check.by === "tests/check_test.ts") {
      // It runs the shell blocks of the README's section, read from the file.
      assertMatch(source, /Checking a student's program/);
    } else if (check.by === "tests/lab/docker_test.ts") {
      // It runs the README's docker run with these words changed.
      assertMatch(source, /"-it" \? "-i"/);
      assertMatch(source, /"127\.0\.0\.1::5555"/);
    } else if (check.by === "bench/bench_smoke_test.ts") {
      assertMatch(
        source,
        text.includes("--render") ? /"--render"/ : /"--quick"/,
      );
    } else {
      assertOk(source.includes(bare), `${check.by} does not run "${bare}"`);
    }
  }
});

Deno.test("every Windows line stands for a command run here", () => {
  for (const check of Object.values(COMMANDS)) {
    if (!("windows" in check) || !check.windows.startsWith("CHATLAB")) {
      continue;
    }
    assertEquals(COMMANDS[check.windows], { run: "class" });
  }
});

const NEEDS = firstMissing(
  PRIVATE_NETWORK_MISSING,
  needProgram("nc", "netcat-openbsd"),
  needProgram("openssl", "openssl"),
);

testNeeding(
  NEEDS,
  "README's class: the teacher's room, a student, nc with and without the passphrase",
  async () => {
    await using network = await PrivateNetwork.create(LAN_ADDRESS);
    const teacher = network.run(TEACHER);
    await teacher.stdout.waitForContaining('*** Room open as "teacher".');
    // The server prints what the README shows, line for line.
    const shown = codeBlocks(readDoc("README.md")).find((block) =>
      block.language === "" && block.text.startsWith("Listening on 0.0.0.0")
    );
    assertOk(shown, "README shows the teacher's start-up lines");
    assertEquals(teacher.stdout.lines, shown.text.trimEnd().split("\n"));

    const alice = network.run(STUDENT);
    await alice.stdout.waitForContaining("*** Hello alice!");
    await alice.writeLines("hello class");
    await teacher.stdout.waitForContaining("<alice> hello class");

    // Without the passphrase, nc is refused; with it, nc joins.
    const stranger = network.run(NC);
    await stranger.stdout.waitForMatch(/needs a password/);
    await stranger.writeLines("guess");
    await stranger.stdout.waitForContaining("*** Disconnected: wrong password");
    const bob = network.run(NC);
    await bob.writeLines("sesame", "bob");
    await bob.stdout.waitForContaining("*** Hello bob!");
    await bob.writeLines("hi from nc");
    await alice.stdout.waitForContaining("<bob> hi from nc");
    await teacher.stdout.waitForContaining("<bob> hi from nc");

    // A private message is not shown to the teacher (as the README says).
    await alice.writeLines("/msg bob psst", "after the secret");
    await bob.stdout.waitForContaining("*alice* psst");
    await teacher.stdout.waitForContaining("<alice> after the secret");
    assertOk(!teacher.stdout.text.includes("psst"));

    await bob.writeLines("/quit");
    await bob.stdout.waitForContaining("*** Goodbye, bob.");
    assertEquals((await bob.finish()).code, 0);
  },
);

testNeeding(
  NEEDS,
  "README's moderated room: a teacher on nc becomes a moderator with /op and kicks",
  async () => {
    await using network = await PrivateNetwork.create(LAN_ADDRESS);
    const server = network.run(MODERATED);
    await server.stdout.waitForContaining('*** Room open as "host".');
    const teacher = network.run("nc -n 127.0.0.1 5555");
    await teacher.writeLines("ms_lee", "/op owl-42");
    await teacher.stdout.waitForContaining("*** ms_lee is now a moderator");
    const student = network.run("nc -n 127.0.0.1 5555");
    await student.writeLines("sam");
    await student.stdout.waitForContaining("*** Hello sam!");
    await teacher.writeLines("/kick sam talking over the lesson");
    await student.stdout.waitForContaining(
      "*** Disconnected: removed by teacher (talking over the lesson)",
    );
    await server.stdout.waitForContaining(
      "*** ms_lee removed sam from the room (talking over the lesson)",
    );
  },
);

testNeeding(
  NEEDS,
  "README's room with history: killed and restarted, it shows what was said",
  async () => {
    await using network = await PrivateNetwork.create(LAN_ADDRESS);
    await using folder = await checkoutCopy();
    const first = network.run(WITH_HISTORY, { cwd: folder.path });
    await first.stdout.waitForContaining('*** Room open as "host".');
    const alice = network.run("nc -n 127.0.0.1 5555");
    await alice.writeLines("alice", "remember me");
    await first.stdout.waitForContaining("<alice> remember me");
    // deno task runs deno as a child: kill the whole process group.
    await runToExit("pkill", [
      "-KILL",
      "-f",
      "server.ts --room --db class.sqlite",
    ]);
    await first.finish();
    const second = network.run(WITH_HISTORY, { cwd: folder.path });
    await second.stdout.waitForContaining('*** Room open as "host".');
    const bob = network.run("nc -n 127.0.0.1 5555");
    await bob.writeLines("bob");
    await bob.stdout.waitForContaining("*** End of last messages.");
    assertOk(bob.stdout.lines.includes("<alice> remember me"));
  },
);

testNeeding(
  NEEDS,
  "README's room in a browser: the page and the room on one server, as written",
  async () => {
    await using network = await PrivateNetwork.create(LAN_ADDRESS);
    const server = network.run(WITH_WEB);
    await server.stdout.waitForContaining(
      "Open in a browser: http://127.0.0.1:8080/",
    );
    await server.stdout.waitForContaining('*** Room open as "host".');
    const page = network.run("curl -sS http://127.0.0.1:8080/");
    await page.stdout.waitForContaining("    <title>chatlab</title>");
    const student = network.run("nc -n 127.0.0.1 5555");
    await student.writeLines("sam", "hello");
    await server.stdout.waitForContaining("<sam> hello");
  },
);

testNeeding(
  NEEDS,
  "README's TLS recipe: a certificate for 192.168.1.23, server:tls and client:tls",
  async (t) => {
    for (const makeCertificate of [CERT_TASK, OPENSSL]) {
      await t.step(makeCertificate.split(" -")[0], async () => {
        await runTlsClass(makeCertificate);
      });
    }
  },
);

/** Makes the certificate as documented, then runs the TLS room and a student. */
async function runTlsClass(makeCertificate: string): Promise<void> {
  {
    await using network = await PrivateNetwork.create(LAN_ADDRESS);
    await using folder = await checkoutCopy();
    const maker = network.run(makeCertificate, { cwd: folder.path });
    assertEquals((await maker.finish()).code, 0, maker.stderr.text);
    const teacher = network.run(TLS_TEACHER, { cwd: folder.path });
    await teacher.stdout.waitForContaining('*** Room open as "teacher".');
    assertOk(
      teacher.stdout.lines.includes(
        "Encrypted with TLS (certificate cert.pem)",
      ),
    );
    // The certificate names the address students type: no warning.
    assertEquals(
      teacher.stdout.lines.filter((line) => line.startsWith("Warning")),
      [],
    );
    assertOk(
      teacher.stdout.lines.includes(
        "Others connect with: deno task client:tls --host 192.168.1.23 --name YOUR_NAME",
      ),
    );
    const alice = network.run(TLS_STUDENT, { cwd: folder.path });
    await alice.stdout.waitForContaining("*** Hello alice!");
    await alice.writeLines("encrypted hello");
    await teacher.stdout.waitForContaining("<alice> encrypted hello");
  }
}

testNeeding(
  PRIVATE_NETWORK_MISSING,
  "documented server and client commands talk to each other as written",
  async (t) => {
    for (const [serverCommand, clientCommand, mode] of PAIRS) {
      await t.step(`${serverCommand} | ${clientCommand}`, async () => {
        await using network = await PrivateNetwork.create(LAN_ADDRESS);
        const server = network.run(serverCommand);
        await server.stdout.waitForMatch(/^Listening on /);
        const client = network.run(clientCommand);
        if (mode === "room") {
          await client.stdout.waitForContaining("*** Hello alice!");
          await client.writeLines("hello room");
          await server.stdout.waitForContaining("<alice> hello room");
          return;
        }
        await client.stdout.waitForMatch(/^Connected to /);
        await client.writeLines("hello server");
        await server.stdout.waitForContaining("Received: hello server");
        await server.writeLines("hello client");
        await client.stdout.waitForContaining("Received: hello client");
        await client.closeStdin();
        await server.stdout.waitForContaining(
          "The other side closed the connection.",
        );
      });
    }
  },
);

testNeeding(
  PRIVATE_NETWORK_MISSING,
  "documented single commands run as written",
  async (t) => {
    for (const [command, expected] of SINGLES) {
      await t.step(command, async () => {
        await using network = await PrivateNetwork.create(LAN_ADDRESS);
        const process = network.run(command);
        if (expected) await process.stdout.waitForMatch(expected);
        else assertEquals((await process.finish()).code, 0);
      });
    }
  },
);

/**
 * A scratch chatlab folder for commands that write files (the TLS recipe
 * writes key.pem and cert.pem "in the chatlab folder"): the tasks and lock
 * copied, the scripts linked, by `cp` and `ln`, so the test needs no
 * --allow-write.
 */
async function checkoutCopy(): Promise<ScratchDir> {
  const folder = await ScratchDir.create();
  const { status, stderrText } = await runToExit("sh", [
    "-c",
    'cp "$0/deno.json" "$0/deno.lock" "$1" && ln -s "$0/server.ts" "$0/client.ts" "$0/lib" "$1"',
    ROOT,
    folder.path,
  ]);
  if (!status.success) {
    await folder[Symbol.asyncDispose]();
    throw new Error(`cannot make a scratch chatlab folder: ${stderrText}`);
  }
  return folder;
}
