// The server's start-up lines, from its options alone (no network): what it
// says about reach, the student command, the passphrase and TLS.

import { assertEquals } from "./support/assert.ts";
import { clientCommand, startBanner } from "../lib/cli/banner.ts";
import { parseServerOptions } from "../lib/cli/options.ts";

const LAN = ["192.168.1.23", "10.0.0.5"];

Deno.test("an open room on every network lists the addresses and the student command", () => {
  const options = parseServerOptions(["--room", "--host", "0.0.0.0"]);
  options.password = undefined;
  assertEquals(startBanner(options, { port: 5555, lanAddresses: LAN }), [
    "Listening on 0.0.0.0:5555",
    "Listening on every network: other computers can connect to this computer's address, port 5555",
    "This computer's network addresses: 192.168.1.23, 10.0.0.5",
    "Others connect with: deno task client --host 192.168.1.23 --name YOUR_NAME",
    "  or, where there is nc: nc 192.168.1.23 5555",
    "Room open to anyone who can reach port 5555 (no passphrase; set CHATLAB_PASSWORD to require one)",
    "Not encrypted: anyone on the network can read the messages (see --tls-cert)",
  ]);
});

Deno.test("a protected TLS room names its certificate and warns about an address it lacks", () => {
  const options = parseServerOptions([
    "--room",
    "--host",
    "0.0.0.0",
    "--port",
    "6000",
    "--password",
    "sesame",
    "--tls-cert",
    "cert.pem",
    "--tls-key",
    "key.pem",
  ]);
  assertEquals(
    startBanner(options, {
      port: 6000,
      lanAddresses: LAN,
      certificate: { names: ["localhost", "192.168.1.23"], isCa: false },
    }).slice(3),
    [
      "Others connect with: deno task client:tls --host 192.168.1.23 --port 6000 --name YOUR_NAME",
      "They need the passphrase: set CHATLAB_PASSWORD before that command (with nc, type it first)",
      'Warning: cert.pem is for localhost, 192.168.1.23, not for 10.0.0.5: TLS clients that connect to that address will refuse it: make one with deno task cert (README: "Encrypting a room")',
      "Room protected by a passphrase",
      "Encrypted with TLS (certificate cert.pem)",
    ],
  );
});

Deno.test("a take-turns server on this computer only prints just where it listens", () => {
  const options = parseServerOptions([]);
  assertEquals(startBanner(options, { port: 5555, lanAddresses: LAN }), [
    "Listening on 127.0.0.1:5555",
  ]);
});

Deno.test("without permission to list addresses, the banner guesses no address", () => {
  const options = parseServerOptions(["--host", "0.0.0.0", "--mode", "chat"]);
  assertEquals(startBanner(options, { port: 5555, lanAddresses: null }), [
    "Listening on 0.0.0.0:5555",
    "Listening on every network: other computers can connect to this computer's address, port 5555",
  ]);
  assertEquals(
    clientCommand(options, "192.168.1.23", 5555),
    "deno task client --host 192.168.1.23 --mode chat",
  );
});
