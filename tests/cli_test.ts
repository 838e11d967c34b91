// The command lines of server.ts and client.ts: help, and the forms of
// --host and --port a user may type.

import { assertEquals, assertMatch } from "./support/assert.ts";
import { assertNoStackTrace } from "./support/chat.ts";
import { LOOPBACK } from "./support/peers.ts";
import {
  RunningProcess,
  runScript,
  runScriptToExit,
  runToExit,
} from "./support/process.ts";

const CONNECTED = /^Connected to 127\.0\.0\.1:\d+\./;

/** What `server.ts --help` prints, written out: a changed default shows here. */
const SERVER_HELP =
  `Usage: server.ts [--host HOST] [--port PORT] [--mode turns|chat|room]

Waits for a client and chats with it (the lesson's server).

Options:
  --host HOST        address to listen on (default 127.0.0.1: this computer
                     only; use 0.0.0.0 so other computers can connect)
  --port PORT        port to listen on, 0-65535 (default 5555; 0 picks a free one)
  --mode MODE        turns: take turns, client speaks first (default)
                     chat:  both sides send whenever they want
                     room:  many clients in one room (same as --room)
  --room             same as --mode room
  --name NAME        your name in the room (default "host")
  --max-line-bytes N longest message in bytes (default 1024)
  --wire             show every read and write on stderr ("the wire view");
                     --wire=hex adds a hex column
  --timestamps       show the local time before each incoming line (chat, room)
  -h, --help         show this help

Room limits (each reached one gives that client a one-line reason):
  --max-unterminated-bytes N  bytes without a line end before dropping (default 16384)
  --max-queue-bytes N         bytes waiting for a slow reader before the room waits for it, or drops it if it stopped reading (default 262144)
  --max-clients N             clients at once (default 100)
  --max-per-address N         clients from one address at once (default 10)
  --rate-limit LINES,PER_SEC  lines at once, then lines per second (default 40,5; "off" to disable)
  --name-timeout SECONDS      time to choose a name (default 60)
  --idle-timeout SECONDS      silence before a client is dropped (default 3600; 0 = never)

Security:
  --tls-cert FILE    serve TLS with this certificate (PEM; needs --allow-read)
  --tls-key FILE     ... and this private key (PEM)
  --password TEXT    a room passphrase (visible in ps: prefer the environment
                     variable CHATLAB_PASSWORD, read with --allow-env=CHATLAB_PASSWORD)
  --password-file FILE  the passphrase is the first line of FILE (needs --allow-read)
  --op-password TEXT the moderator passphrase for /op (prefer the environment
                     variable CHATLAB_OP_PASSWORD)

In a browser:
  --web PORT         also serve the chat page and a WebSocket on PORT (same
                     room, same rules); open http://HOST:PORT/
  --web-origin URL   another page origin allowed to open the WebSocket
                     (repeatable; the page's own origin always is)

History:
  --db FILE          keep the room's history in this SQLite file, so it
                     survives a restart (needs --allow-read and --allow-write)
  --keep N[d]        how much the file keeps: N days (30d, the default) or the
                     last N messages (5000)`;

/** What `client.ts --help` prints, written out. */
const CLIENT_HELP =
  `Usage: client.ts [--host HOST] [--port PORT] [--mode turns|chat] [--name NAME]
       client.ts HOST PORT

Connects to a chat server (the lesson's client).

Options:
  --host HOST        server address or name (default 127.0.0.1)
  --port PORT        server port, 1-65535 (default 5555)
  --mode MODE        turns: take turns, you speak first (default)
                     chat:  send whenever you want
  --name NAME        join a room with this name (implies a room chat)
  --max-line-bytes N longest message in bytes (default 1024)
  --tls              connect with TLS
  --ca FILE          trust this certificate (PEM), e.g. a self-signed server's
  --password TEXT    the room's passphrase (visible in ps: prefer the
                     environment variable CHATLAB_PASSWORD)
  --wire             show every read and write on stderr ("the wire view");
                     --wire=hex adds a hex column
  --timestamps       show the local time before each incoming line (chat, room)
  -h, --help         show this help`;

for (
  const [script, help] of [
    ["server.ts", SERVER_HELP],
    ["client.ts", CLIENT_HELP],
  ] as const
) {
  for (const flag of ["--help", "-h"]) {
    Deno.test(`${script} ${flag} prints its usage and exits 0`, async () => {
      const outcome = await runScriptToExit(script, [flag]);
      assertEquals(outcome.stdout.join("\n"), help);
      assertEquals(outcome.stderr, []);
      assertEquals(outcome.status.code, 0);
    });
  }

  Deno.test(`${script} --help needs no network permission`, async () => {
    const outcome = await runToExit(Deno.execPath(), [
      "run",
      script,
      "--help",
    ]);
    assertEquals(outcome.stdout.join("\n"), help);
    assertNoStackTrace(outcome.stderr.join("\n"));
    assertEquals(outcome.status.code, 0);
  });
}

Deno.test("server on port 0 prints the free port it got, and listens there", async () => {
  await using server = runScript("server.ts", ["--port", "0"]);
  const match = await server.stdout.waitForMatch(
    /^Listening on 127\.0\.0\.1:(\d+)$/,
  );
  const port = Number(match[1]);
  assertMatch(String(port), /^[1-9]\d{0,4}$/);
  using conn = await Deno.connect({ hostname: LOOPBACK, port });
  await server.stdout.waitForMatch(CONNECTED);
  assertEquals(conn.remoteAddr.port, port);
});

Deno.test("client accepts HOST PORT positionally, like the lesson", async () => {
  await using server = runScript("server.ts", ["--port", "0"]);
  const port = await portOf(server);
  await using client = runScript("client.ts", [LOOPBACK, String(port)]);
  await client.stdout.waitForLine(`Connected to 127.0.0.1:${port}.`);
  await client.writeLines("positional");
  await server.stdout.waitForLine("Received: positional");
});

Deno.test("client and server accept -p and --port=N", async () => {
  await using server = runScript("server.ts", ["--port=0"]);
  const port = await portOf(server);
  await using client = runScript("client.ts", ["-p", String(port)]);
  await client.stdout.waitForLine(`Connected to 127.0.0.1:${port}.`);
  await client.writeLines("short option");
  await server.stdout.waitForLine("Received: short option");
});

async function portOf(server: RunningProcess): Promise<number> {
  const match = await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/);
  return Number(match[1]);
}
