import { assertEquals } from "./support/assert.ts";
import { runScript, startServer } from "./support/process.ts";

Deno.test("server and client take turns over 127.0.0.1", async () => {
  const { server, port } = await startServer();
  await using _server = server;
  await using client = runScript("client.ts", ["--port", String(port)]);
  await client.writeLines("hello from client");
  await server.stdout.waitFor("Received: hello from client");
  await server.writeLines("hello from server");
  await client.stdout.waitFor("Received: hello from server");
  await client.writeLines("bye é 😀");
  await server.stdout.waitFor("Received: bye é 😀");
  // The server's turn: its input ends, so it closes; the client says so.
  assertEquals((await server.finish()).code, 0);
  await client.stdout.waitFor("The other side closed the connection.");
  assertEquals((await client.finish()).code, 0);
});
