// The security options over real sockets: TLS with a certificate made at test
// time, the room passphrase, IPv6, and the default bind address. Every
// failure is one clear line.

import { assertEquals, assertMatch, assertOk } from "./support/assert.ts";
import { finishedCleanly } from "./support/chat.ts";
import { isolated, ISOLATION_UNAVAILABLE } from "./support/isolation.ts";
import { Puppet } from "./support/hostile_peers.ts";
import {
  commandOutput,
  RunningProcess,
  runScript,
  type ScriptOptions,
} from "./support/process.ts";
import { RawClient } from "./support/raw_client.ts";
import {
  firstMissing,
  IN_CI,
  needIpv6Loopback,
  needProgram,
  testNeeding,
} from "./support/requires.ts";
import { startRoomServer } from "./support/room_server.ts";
import { TestCertificate } from "./support/tls.ts";
import { escapeRegExp } from "./support/regexp.ts";
import { passwordMatches } from "../lib/room/password.ts";
import { NEEDS_NC, NEEDS_OPENSSL, NEEDS_PYTHON3 } from "./support/programs.ts";

const PASSWORD_PERMISSION = "--allow-env=CHATLAB_PASSWORD";

/** `client.ts --name NAME` (a room client) on `port`, with extra options. */
function roomClient(
  port: number,
  name: string,
  args: string[] = [],
  options: ScriptOptions = {},
): RunningProcess {
  return runScript("client.ts", [
    "--port",
    String(port),
    "--name",
    name,
    ...args,
  ], options);
}

/** Starts a TLS room with `certificate`, the server reading only its directory. */
function startTlsRoom(certificate: TestCertificate) {
  return startRoomServer([
    "--tls-cert",
    certificate.certFile,
    "--tls-key",
    certificate.keyFile,
  ], { permissions: [`--allow-read=${certificate.dir}`] });
}

testNeeding(
  NEEDS_OPENSSL,
  "TLS room relays messages between clients that trust its certificate with --ca",
  async () => {
    await using certificate = await TestCertificate.create();
    const { server, port } = await startTlsRoom(certificate);
    await using _server = server;
    // A plain client starts first: its connection waits for a TLS handshake
    // that never comes, and it gives up on its own after the welcome timeout.
    await using plain = roomClient(port, "plain");
    await plain.stdout.waitForContaining(`Connected to 127.0.0.1:${port}.`);

    const trusting = [`--allow-read=${certificate.dir}`];
    const tls = ["--tls", "--ca", certificate.certFile];
    await using alice = roomClient(port, "alice", tls, {
      permissions: trusting,
    });
    await alice.stdout.waitForContaining("*** Hello alice!");
    await using bob = roomClient(port, "bob", tls, { permissions: trusting });
    await bob.stdout.waitForContaining("*** Hello bob!");
    // A plain peer that talks first (nc, a student's program) is cut off as
    // soon as its bytes fail the handshake.
    await using plainPeer = await RawClient.connect(port);
    await plainPeer.send("carol");
    await plainPeer.waitForEnd();
    assertOk(!plainPeer.lines.some((line) => line.startsWith("***")));

    await alice.writeLines("over TLS é 漢字");
    await bob.stdout.waitForContaining("<alice> over TLS é 漢字");
    await bob.writeLines("/me nods");
    await alice.stdout.waitForContaining("* bob nods");
    await server.stdout.waitForContaining("<alice> over TLS é 漢字");

    const outcome = await finishedCleanly(plain);
    assertEquals(outcome.stderr, [
      "error: The server sent no welcome within 10 seconds: is it a chatlab room, and does it use TLS (then add --tls)?",
    ]);
    assertEquals(outcome.code, 1);
    // The TLS clients never noticed.
    await alice.writeLines("still here");
    await bob.stdout.waitForContaining("<alice> still here");
  },
);

testNeeding(
  NEEDS_OPENSSL,
  "TLS client without --ca refuses a self-signed certificate in one line",
  async () => {
    await using certificate = await TestCertificate.create();
    const { server, port } = await startTlsRoom(certificate);
    await using _server = server;
    const outcome = await finishedCleanly(roomClient(port, "alice", ["--tls"]));
    assertEquals(outcome.stderr, [
      `error: The TLS certificate of 127.0.0.1:${port} was not accepted (invalid peer certificate: UnknownIssuer): for a self-signed server, pass its certificate with --ca FILE`,
    ]);
    assertEquals(outcome.stdout, []);
    assertEquals(outcome.code, 1);
  },
);

testNeeding(
  NEEDS_OPENSSL,
  "TLS client to a plain server says the server does not speak TLS",
  async () => {
    await using certificate = await TestCertificate.create();
    const { server, port } = await startRoomServer();
    await using _server = server;
    const outcome = await finishedCleanly(
      roomClient(port, "alice", ["--tls", "--ca", certificate.certFile], {
        permissions: [`--allow-read=${certificate.dir}`],
      }),
    );
    assertEquals(outcome.stderr, [
      `error: TLS failed with 127.0.0.1:${port} (received corrupt message of type InvalidContentType): is the server using TLS (--tls-cert)?`,
    ]);
    assertEquals(outcome.stdout, []);
    assertEquals(outcome.code, 1);
  },
);

testNeeding(
  NEEDS_OPENSSL,
  "server with a missing certificate file says so in one line",
  async () => {
    await using certificate = await TestCertificate.create();
    const missing = `${certificate.dir}/missing.pem`;
    const outcome = await finishedCleanly(
      runScript("server.ts", [
        "--room",
        "--port",
        "0",
        "--tls-cert",
        missing,
        "--tls-key",
        certificate.keyFile,
      ], {
        permissions: [`--allow-read=${certificate.dir}`],
      }),
    );
    assertEquals(outcome.stderr, [
      `error: Cannot read the certificate file "${missing}": no such file`,
    ]);
    assertEquals(outcome.stdout, []);
    assertEquals(outcome.code, 1);
  },
);

testNeeding(
  NEEDS_OPENSSL,
  "server and client without --allow-read name the missing permission",
  async () => {
    await using certificate = await TestCertificate.create();
    const server = await finishedCleanly(
      runScript("server.ts", [
        "--room",
        "--port",
        "0",
        "--tls-cert",
        certificate.certFile,
        "--tls-key",
        certificate.keyFile,
      ]),
    );
    assertEquals(server.stderr, [
      `error: Missing Deno permission: Requires read access to "${certificate.certFile}", run again with the --allow-read flag`,
    ]);
    assertEquals(server.code, 1);
    const client = await finishedCleanly(
      roomClient(1, "alice", ["--tls", "--ca", certificate.certFile]),
    );
    assertEquals(client.stderr, [
      `error: Missing Deno permission: Requires read access to "${certificate.certFile}", run again with the --allow-read flag`,
    ]);
    assertEquals(client.code, 1);
  },
);

Deno.test("passwordMatches tells equal from unequal passphrases of any length", () => {
  assertEquals(passwordMatches("sesame", "sesame"), true);
  assertEquals(passwordMatches("", ""), true);
  assertEquals(passwordMatches("é 漢字 😀", "é 漢字 😀"), true);
  assertEquals(passwordMatches("sesame", "Sesame"), false);
  assertEquals(passwordMatches("sesame", "sesamf"), false);
  assertEquals(passwordMatches("sesam", "sesame"), false);
  assertEquals(passwordMatches("sesame ", "sesame"), false);
  assertEquals(passwordMatches("", "sesame"), false);
  assertEquals(passwordMatches("x".repeat(10_000), "x"), false);
});

Deno.test("room passphrase from CHATLAB_PASSWORD admits the right one and refuses a wrong one after a delay", async () => {
  const { server, port } = await startRoomServer([], {
    permissions: [PASSWORD_PERMISSION],
    env: { CHATLAB_PASSWORD: "open sesame" },
  });
  await using _server = server;
  const withPassword = (password: string): ScriptOptions => ({
    permissions: [PASSWORD_PERMISSION],
    env: { CHATLAB_PASSWORD: password },
  });
  await using alice = roomClient(
    port,
    "alice",
    [],
    withPassword("open sesame"),
  );
  await alice.stdout.waitForLineStarting("*** Hello alice!");

  const start = performance.now();
  await using malloryProcess = roomClient(
    port,
    "mallory",
    [],
    withPassword("open sesame!"),
  );
  await malloryProcess.stdout.waitForContaining("*** Disconnected:");
  // The pinned delay: 2000 ms (see tests/room/room_core_test.ts).
  assertOk(performance.now() - start >= 2000);
  const mallory = await finishedCleanly(malloryProcess);
  assertEquals(mallory.stdout.at(-1), "*** Disconnected: wrong password");
  assertEquals(mallory.stderr, []);
  assertEquals(mallory.code, 1);
  assertOk(!server.stdout.lines.some((line) => line.includes("mallory")));

  const noPassword = await finishedCleanly(roomClient(port, "eve"));
  assertEquals(noPassword.stderr, [
    "error: This room needs a password: set CHATLAB_PASSWORD (with --allow-env=CHATLAB_PASSWORD, as deno task client has) or use --password",
  ]);
  assertEquals(noPassword.code, 1);

  await alice.writeLines("only friends here");
  await server.stdout.waitForLine("<alice> only friends here");
});

Deno.test("room passphrase and name may arrive in one packet, as a script sends them", async () => {
  const { server, port } = await startRoomServer(["--password", "sesame"]);
  await using _server = server;
  await using bot = await RawClient.connect(port);
  await bot.send("sesame", "bot", "hello from a script");
  await bot.waitForLineStarting("*** Hello bot!");
  await server.stdout.waitForLine("<bot> hello from a script");
});

testNeeding(
  NEEDS_NC,
  "room passphrase can be typed into nc, then the name",
  async () => {
    const { server, port } = await startRoomServer(["--password", "sesame"]);
    await using _server = server;
    await using nc = new RunningProcess("nc", [
      "-n",
      "-N",
      "127.0.0.1",
      String(port),
    ]);
    await nc.stdout.waitForContaining(
      "*** Welcome to the chatlab room. This room needs a password",
    );
    await nc.writeLines("sesame");
    await nc.stdout.waitForContaining("*** Password accepted.");
    await nc.writeLines("carol");
    await nc.stdout.waitForContaining("*** Hello carol!");
    await nc.writeLines("typed by hand");
    await server.stdout.waitForContaining("<carol> typed by hand");
  },
);

const NO_IPV6 = needIpv6Loopback();

testNeeding(
  NO_IPV6,
  "server and client take turns over IPv6 with --host ::1",
  async () => {
    await using server = runScript("server.ts", [
      "--host",
      "::1",
      "--port",
      "0",
    ]);
    const port =
      (await server.stdout.waitForMatch(/^Listening on \[::1\]:(\d+)$/))[1];
    await using client = runScript("client.ts", [
      "--host",
      "::1",
      "--port",
      port,
    ]);
    await client.stdout.waitForLine(`Connected to [::1]:${port}.`);
    await server.stdout.waitForMatch(/^Connected to \[::1\]:\d+\.$/);
    await client.writeLines("hello over IPv6");
    await server.stdout.waitForLine("Received: hello over IPv6");
    await server.writeLines("hello back");
    await client.stdout.waitForLine("Received: hello back");
  },
);

testNeeding(
  firstMissing(NO_IPV6, NEEDS_PYTHON3),
  "room works over IPv6 with --host ::1",
  async () => {
    const { server, port } = await startRoomServer(["--host", "::1"]);
    await using _server = server;
    await using alice = roomClient(port, "alice", ["--host", "::1"]);
    await alice.stdout.waitForContaining("*** Hello alice!");
    await using bob = await Puppet.connect(port, { host: "::1" });
    await bob.send("bob");
    await bob.waitForLineStarting("*** Hello bob!");
    await alice.writeLines("hello over IPv6");
    await bob.waitForLineStarting("<alice> hello over IPv6");
    await bob.send("hi alice");
    await alice.stdout.waitForContaining("<bob> hi alice");
  },
);

Deno.test("server binds 127.0.0.1 by default and says nothing about other networks", async () => {
  const { server, port } = await startRoomServer();
  await using _server = server;
  assertEquals(server.stdout.lines[0], `Listening on 127.0.0.1:${port}`);
  assertOk(!server.stdout.text.includes("every network"));
});

testNeeding(
  needProgram("ss", "iproute2"),
  "server listens on 127.0.0.1 only by default, as ss shows",
  async () => {
    const { server, port } = await startRoomServer();
    await using _server = server;
    const listening = await commandOutput("ss", ["-Hltn", `sport = :${port}`]);
    assertOk(listening !== null, "ss -Hltn failed");
    assertMatch(
      listening,
      new RegExp(`^\\S+\\s+\\S+\\s+\\S+\\s+127\\.0\\.0\\.1:${port}\\s`),
    );
    assertEquals(listening.split("\n").length, 1, listening);
  },
);

for (const host of ["0.0.0.0", "::"]) {
  testNeeding(
    // Outside CI, without unshare, it runs in the open for a moment; CI
    // never listens on every network of its runner.
    firstMissing(
      host === "::" ? NO_IPV6 : null,
      IN_CI ? ISOLATION_UNAVAILABLE : null,
    ),
    `server bound to ${host} says that every network can connect`,
    async () => {
      // In a network namespace of its own when possible: nothing outside it
      // can reach the listener even for a moment.
      const run = [
        "run",
        "--allow-net",
        "--allow-env=CHATLAB_PASSWORD",
        "server.ts",
        "--room",
        "--host",
        host,
        "--port",
        "0",
      ];
      const { command, args } = ISOLATION_UNAVAILABLE === null
        ? isolated(Deno.execPath(), run)
        : { command: Deno.execPath(), args: run };
      await using server = new RunningProcess(command, args);
      const shown = host.includes(":") ? `[${host}]` : host;
      const match = await server.stdout.waitForMatch(
        new RegExp(`^Listening on ${escapeRegExp(shown)}:(\\d+)$`),
      );
      await server.stdout.waitForLine(
        `Listening on every network: other computers can connect to this computer's address, port ${
          match[1]
        }`,
      );
    },
  );
}

/** Starts a take-turns `server.ts` on port 0 with `args`; resolves with its port. */
async function startTurnsServer(args: string[], options: ScriptOptions = {}) {
  const server = runScript("server.ts", ["--port", "0", ...args], options);
  const match = await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/);
  return { server, port: Number(match[1]) };
}

testNeeding(
  NEEDS_OPENSSL,
  "plain take-turns client and TLS server each say the other side's TLS is off, in one line",
  async () => {
    await using certificate = await TestCertificate.create();
    const { server, port } = await startTurnsServer([
      "--tls-cert",
      certificate.certFile,
      "--tls-key",
      certificate.keyFile,
    ], { permissions: [`--allow-read=${certificate.dir}`] });
    await using _server = server;
    const client = runScript("client.ts", ["--port", String(port)]);
    await client.writeLines("hello");
    const clientOutcome = await finishedCleanly(client);
    // Without the check, the server's TLS alert printed as `Received: ^U^C...`.
    assertEquals(clientOutcome.stderr, [
      "error: The other side is using TLS and this side is not: add --tls to the client, or drop --tls-cert from the server",
    ]);
    assertEquals(clientOutcome.code, 1);
    const serverOutcome = await finishedCleanly(server);
    assertEquals(serverOutcome.stderr, [
      "error: The other side is not using TLS, but this server expects it (--tls-cert): connect with client.ts --tls (received corrupt message of type InvalidContentType)",
    ]);
    assertEquals(serverOutcome.code, 1);
  },
);

testNeeding(
  NEEDS_OPENSSL,
  "TLS take-turns client and plain server each say the other side's TLS is off, in one line",
  async () => {
    await using certificate = await TestCertificate.create();
    const { server, port } = await startTurnsServer([]);
    await using _server = server;
    const client = runScript("client.ts", [
      "--port",
      String(port),
      "--tls",
      "--ca",
      certificate.certFile,
    ], { permissions: [`--allow-read=${certificate.dir}`] });
    const clientOutcome = await finishedCleanly(client);
    assertEquals(clientOutcome.stderr, [
      `error: The connection to 127.0.0.1:${port} closed during the TLS handshake: is the server using TLS (--tls-cert)?`,
    ]);
    assertEquals(clientOutcome.code, 1);
    const serverOutcome = await finishedCleanly(server);
    assertEquals(serverOutcome.stderr, [
      "error: The other side is using TLS and this side is not: add --tls to the client, or drop --tls-cert from the server",
    ]);
    assertEquals(serverOutcome.code, 1);
  },
);
