// TLS beyond "localhost": a certificate for the address students type, and
// one precise line for each way a certificate can be wrong. The "other
// address" is 127.0.0.2, a loopback alias: nothing leaves this computer.

import { assertEquals } from "./support/assert.ts";
import { finishedCleanly } from "./support/chat.ts";
import { startRoomServer } from "./support/room_server.ts";
import { TestCertificate } from "./support/tls.ts";
import { runScript } from "./support/process.ts";

/** A loopback address other than 127.0.0.1, standing in for a LAN address. */
const OTHER_ADDRESS = "127.0.0.2";

function tlsRoom(certificate: TestCertificate, host: string) {
  return startRoomServer([
    "--host",
    host,
    "--tls-cert",
    certificate.certFile,
    "--tls-key",
    certificate.keyFile,
  ], { permissions: [`--allow-read=${certificate.dir}`] });
}

function tlsClient(
  certificate: TestCertificate,
  host: string,
  port: number,
  name: string,
  caFile = certificate.certFile,
) {
  return runScript("client.ts", [
    "--host",
    host,
    "--port",
    String(port),
    "--tls",
    "--ca",
    caFile,
    "--name",
    name,
  ], { permissions: [`--allow-read=${certificate.dir}`] });
}

Deno.test("a TLS room works at an address other than localhost when the certificate names it", async () => {
  await using certificate = await TestCertificate.create({
    subjectAltName: `DNS:localhost,IP:127.0.0.1,IP:${OTHER_ADDRESS}`,
  });
  const { server, port } = await tlsRoom(certificate, OTHER_ADDRESS);
  await using _server = server;
  await using alice = tlsClient(certificate, OTHER_ADDRESS, port, "alice");
  await alice.stdout.waitForContaining("*** Hello alice!");
  await using bob = tlsClient(certificate, OTHER_ADDRESS, port, "bob");
  await bob.stdout.waitForContaining("*** Hello bob!");
  await alice.writeLines("over TLS at 127.0.0.2");
  await bob.stdout.waitForContaining("<alice> over TLS at 127.0.0.2");
  // The certificate names the address, so the server has no warning.
  assertEquals(
    server.stdout.lines.filter((line) => line.startsWith("Warning")),
    [],
  );
});

Deno.test("the server warns when its certificate does not name the address it listens on", async () => {
  await using certificate = await TestCertificate.create();
  const { server } = await tlsRoom(certificate, OTHER_ADDRESS);
  await using _server = server;
  assertEquals(
    server.stdout.lines.filter((line) => line.startsWith("Warning")),
    [
      `Warning: ${certificate.certFile} is for localhost, 127.0.0.1, ::1, not for 127.0.0.2: TLS clients that connect to that address will refuse it: make one with deno task cert (README: "Encrypting a room")`,
    ],
  );
});

Deno.test("a client asking for a name the certificate lacks is told which names it has", async () => {
  await using certificate = await TestCertificate.create({
    subjectAltName: "DNS:localhost,IP:127.0.0.1",
  });
  const { server, port } = await tlsRoom(certificate, "0.0.0.0");
  await using _server = server;
  const outcome = await finishedCleanly(
    tlsClient(certificate, OTHER_ADDRESS, port, "alice"),
  );
  assertEquals(outcome.stderr, [
    `error: The TLS certificate of 127.0.0.2:${port} is for localhost, 127.0.0.1, not for "127.0.0.2": connect with one of those names, or make a certificate that names 127.0.0.2 (README: "Encrypting a room")`,
  ]);
  assertEquals(outcome.code, 1);
});

Deno.test("a server given a certificate marked as a CA refuses to start, saying how to make one", async () => {
  await using certificate = await TestCertificate.create({ markedAsCa: true });
  const server = runScript("server.ts", [
    "--room",
    "--port",
    "0",
    "--tls-cert",
    certificate.certFile,
    "--tls-key",
    certificate.keyFile,
  ], { permissions: [`--allow-read=${certificate.dir}`] });
  const outcome = await finishedCleanly(server);
  assertEquals(outcome.stderr, [
    `error: The certificate "${certificate.certFile}" is marked as a CA (CA:TRUE, openssl req -x509's default), which clients refuse as a server's own: make one with basicConstraints=critical,CA:FALSE and subjectAltName naming this computer's addresses (README: "Encrypting a room")`,
  ]);
  assertEquals(outcome.code, 1);
});

Deno.test("a client given another certificate with --ca says it is not the server's", async () => {
  await using certificate = await TestCertificate.create();
  await using other = await TestCertificate.create();
  const { server, port } = await tlsRoom(certificate, "127.0.0.1");
  await using _server = server;
  const outcome = await finishedCleanly(
    runScript("client.ts", [
      "--port",
      String(port),
      "--tls",
      "--ca",
      other.certFile,
      "--name",
      "alice",
    ], { permissions: [`--allow-read=${other.dir}`] }),
  );
  assertEquals(outcome.stderr, [
    `error: The TLS certificate of 127.0.0.1:${port} is not the one in --ca ${other.certFile} (invalid peer certificate: BadSignature): get the server's current certificate file`,
  ]);
  assertEquals(outcome.code, 1);
});
