import { assertEquals } from "./support/assert.ts";
import { runScript, startServer } from "./support/process.ts";

const COUNT = 500;

function numbered(prefix: string): string[] {
  return Array.from({ length: COUNT }, (_, i) => `${prefix} ${i} é😀`);
}

function received(lines: string[]): string[] {
  return lines.filter((line) => line.startsWith("Received: ")).map((line) =>
    line.slice("Received: ".length)
  );
}

/** A `server.ts --mode chat` and a `client.ts --mode chat`, connected. */
async function startChatPeers() {
  const { server, port } = await startServer(["--mode", "chat"]);
  const client = runScript("client.ts", [
    "--port",
    String(port),
    "--mode",
    "chat",
  ]);
  await server.stdout.waitForMatch(/^Connected to /);
  return {
    server,
    client,
    async [Symbol.asyncDispose]() {
      await client[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("chat mode peers sending at the same moment lose and reorder nothing", async () => {
  await using peers = await startChatPeers();
  const { server, client } = peers;
  // Both sides write everything at once, without waiting for each other.
  await Promise.all([
    server.writeLines(...numbered("from server")),
    client.writeLines(...numbered("from client")),
  ]);
  await server.stdout.waitForLine(`Received: from client ${COUNT - 1} é😀`);
  await client.stdout.waitForLine(`Received: from server ${COUNT - 1} é😀`);
  assertEquals(received(server.stdout.lines), numbered("from client"));
  assertEquals(received(client.stdout.lines), numbered("from server"));

  // The client's input ends: the server is told, and both exit 0.
  await client.closeStdin();
  await server.stdout.waitForLine("The other side closed the connection.");
  assertEquals((await server.finish()).code, 0);
  assertEquals((await client.finish()).code, 0);
});

Deno.test("chat mode shows incoming lines at once, before the user types anything", async () => {
  await using peers = await startChatPeers();
  const { server, client } = peers;
  await server.writeLines("one", "two");
  await client.stdout.waitForLine("Received: two");
  await client.writeLines("three");
  await server.stdout.waitForLine("Received: three");
});
