// Every failure a user can meet is one line on stderr, `error: <message>`,
// with no stack trace and a non-zero exit: 2 for a mistake in the command
// line, 1 for everything else.
//
// No test here sends traffic anywhere but 127.0.0.1: the unknown host is
// looked up inside its own network namespace with DNS turned off, and a
// listen on an address this computer lacks fails in bind(), locally.

import { assertEquals } from "./support/assert.ts";
import { assertNoStackTrace } from "./support/chat.ts";
import {
  isolated,
  ISOLATION_UNAVAILABLE,
  isRoot,
} from "./support/isolation.ts";
import { LOOPBACK } from "./support/peers.ts";
import { testNeeding } from "./support/requires.ts";
import {
  commandOutput,
  type Outcome,
  runScriptToExit,
  runToExit,
} from "./support/process.ts";

const USAGE = 2;
const FAILURE = 1;

/** Asserts one `error: <message>` line on stderr, nothing on stdout, and the exit code. */
function assertOneLineError(
  outcome: Outcome,
  message: string,
  code: number,
): void {
  assertNoStackTrace(outcome.stderr.join("\n"));
  assertEquals(outcome.stderr, [`error: ${message}`]);
  assertEquals(outcome.stdout, []);
  assertEquals(outcome.status.code, code);
}

/** A port on 127.0.0.1 that nothing listens on: we held it a moment ago. */
function closedPort(): number {
  // Another program could take the port between close() and the test's
  // connect; the ephemeral range is large, and that would show as a failure
  // naming the port, never as a hang.
  using listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  return listener.addr.port;
}

Deno.test("client says the connection was refused when nothing listens", async () => {
  const port = closedPort();
  assertOneLineError(
    await runScriptToExit("client.ts", ["--port", String(port)]),
    `Connection refused by 127.0.0.1:${port}: is the server running there, on that port, and listening on an address you can reach?`,
    FAILURE,
  );
});

testNeeding(
  ISOLATION_UNAVAILABLE,
  "client says a host name that does not exist is unknown",
  async () => {
    const { command, args } = isolated(Deno.execPath(), [
      "run",
      "--allow-net",
      "client.ts",
      "--host",
      "no-such-host.invalid",
      "--port",
      "5555",
    ]);
    assertOneLineError(
      await runToExit(command, args),
      `Unknown host "no-such-host.invalid": no computer by that name could be found (check the spelling, or use an IP address such as 127.0.0.1)`,
      FAILURE,
    );
  },
);

Deno.test("client refuses the lesson's example address 123.456.789.123 as a usage error", async () => {
  // As the lesson would type it: the address and port as they are.
  assertOneLineError(
    await runScriptToExit("client.ts", ["123.456.789.123", "5555"]),
    `Invalid IPv4 address "123.456.789.123": each of its four numbers must be from 0 to 255`,
    USAGE,
  );
});

Deno.test("server refuses the lesson's example address 123.456.789.123 as a usage error", async () => {
  assertOneLineError(
    await runScriptToExit("server.ts", ["--host", "123.456.789.123"]),
    `Invalid IPv4 address "123.456.789.123": each of its four numbers must be from 0 to 255`,
    USAGE,
  );
});

const BAD_PORTS: [
  script: "server.ts" | "client.ts",
  args: string[],
  message: string,
][] = [
  [
    "server.ts",
    ["--port", "abc"],
    `Invalid port "abc": use a whole number from 0 to 65535`,
  ],
  [
    "client.ts",
    ["--port", "abc"],
    `Invalid port "abc": use a whole number from 1 to 65535`,
  ],
  [
    "server.ts",
    ["--port", "70000"],
    `Invalid port "70000": use a whole number from 0 to 65535`,
  ],
  [
    "client.ts",
    ["127.0.0.1", "70000"],
    `Invalid port "70000": use a whole number from 1 to 65535`,
  ],
  [
    "server.ts",
    ["--port=-1"],
    `Invalid port "-1": use a whole number from 0 to 65535`,
  ],
  [
    "server.ts",
    ["--port", "-1"],
    `Invalid port "-1": use a whole number from 0 to 65535`,
  ],
  [
    "client.ts",
    ["--port", "-1"],
    `Invalid port "-1": use a whole number from 1 to 65535`,
  ],
  [
    "server.ts",
    ["--port", ""],
    `Invalid port "": use a whole number from 0 to 65535`,
  ],
  [
    "client.ts",
    ["--port", "0"],
    `Invalid port "0": use a whole number from 1 to 65535`,
  ],
  [
    "server.ts",
    ["--port", "1.5"],
    `Invalid port "1.5": use a whole number from 0 to 65535`,
  ],
];

for (const [script, args, message] of BAD_PORTS) {
  Deno.test(`${script} ${args.map((arg) => JSON.stringify(arg)).join(" ")} is refused as a bad port`, async () => {
    assertOneLineError(await runScriptToExit(script, args), message, USAGE);
  });
}

Deno.test("server says the port is already in use", async () => {
  using listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  const port = listener.addr.port;
  assertOneLineError(
    await runScriptToExit("server.ts", ["--port", String(port)]),
    `Port ${port} on 127.0.0.1 is already in use: stop the other program or choose another --port`,
    FAILURE,
  );
});

const UNPRIVILEGED_PORT_START = Number(
  await commandOutput("cat", [
    "/proc/sys/net/ipv4/ip_unprivileged_port_start",
  ]) ??
    1024,
);

/** Whether some ports need administrator rights here (not with a start of 0 or 1). */
const PRIVILEGED_PORTS = UNPRIVILEGED_PORT_START > 1
  ? null
  : `no port is privileged here (ip_unprivileged_port_start is ${UNPRIVILEGED_PORT_START}): sysctl net.ipv4.ip_unprivileged_port_start=1024`;

testNeeding(
  PRIVILEGED_PORTS,
  "server says a privileged port needs administrator rights",
  async () => {
    const port = Math.min(80, UNPRIVILEGED_PORT_START - 1);
    const deno = [
      Deno.execPath(),
      "run",
      "--allow-net",
      "server.ts",
      "--port",
      String(port),
    ];
    // Root keeps its files but loses the one capability that lets it bind
    // below ip_unprivileged_port_start: what an ordinary user lacks.
    // (Running as nobody would need the deno binary and its cache readable
    // by nobody, which a Deno installed under /root is not.)
    const [command, ...args] = isRoot()
      ? [
        "setpriv",
        "--inh-caps=-net_bind_service",
        "--bounding-set=-net_bind_service",
        ...deno,
      ]
      : deno;
    assertOneLineError(
      await runToExit(command, args),
      `Port ${port} is privileged (below 1024) and needs administrator rights: choose a port from 1024 to 65535`,
      FAILURE,
    );
  },
);

Deno.test("server says when this computer has no such address to listen on", async () => {
  // 203.0.113.1 is TEST-NET-3 (RFC 5737), never given to a real computer.
  // bind() fails on the spot with EADDRNOTAVAIL; nothing is sent.
  assertOneLineError(
    await runScriptToExit("server.ts", [
      "--host",
      "203.0.113.1",
      "--port",
      "0",
    ]),
    `Cannot listen on 203.0.113.1: this computer has no such address (use 127.0.0.1 for this computer only, or 0.0.0.0 for every network)`,
    FAILURE,
  );
});

Deno.test("server without --allow-net names the missing permission", async () => {
  // stdin is a pipe, not a terminal, so Deno cannot ask and refuses.
  assertOneLineError(
    await runToExit(Deno.execPath(), ["run", "server.ts", "--port", "0"]),
    `Missing Deno permission: Requires net access to "127.0.0.1:0", run again with the --allow-net flag`,
    FAILURE,
  );
});

Deno.test("client without --allow-net names the missing permission", async () => {
  const port = closedPort();
  assertOneLineError(
    await runToExit(Deno.execPath(), [
      "run",
      "client.ts",
      "--port",
      String(port),
    ]),
    `Missing Deno permission: Requires net access to "127.0.0.1:${port}", run again with the --allow-net flag`,
    FAILURE,
  );
});

for (const script of ["server.ts", "client.ts"] as const) {
  Deno.test(`${script} refuses an unknown option`, async () => {
    assertOneLineError(
      await runScriptToExit(script, ["--bogus"]),
      `Unknown option "--bogus" (see --help)`,
      USAGE,
    );
  });

  Deno.test(`${script} says when --port has no value`, async () => {
    assertOneLineError(
      await runScriptToExit(script, ["--port"]),
      `Option "--port" needs a value (see --help)`,
      USAGE,
    );
  });
}

Deno.test("client refuses a host given both as HOST and as --host", async () => {
  assertOneLineError(
    await runScriptToExit("client.ts", ["127.0.0.1", "--host", "127.0.0.1"]),
    "Give the host either as HOST or as --host, not both",
    USAGE,
  );
});

Deno.test("server refuses an argument it does not take", async () => {
  assertOneLineError(
    await runScriptToExit("server.ts", ["5555"]),
    `Unexpected argument "5555" (see --help)`,
    USAGE,
  );
});
