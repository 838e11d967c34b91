/**
 * The Compose lab on two real network stacks: `server.ts` in one network
 * namespace, `client.ts` in another, the client reaching the server by its
 * Compose service name. Every command, name and port comes from
 * `compose.yaml`.
 *
 * Run with `deno task test:lab` (root and iproute2 needed). Without them it is
 * skipped with the reason, except in CI (`CI=true`), where it fails instead.
 */

import { assertEquals, assertMatch, assertOk } from "../support/assert.ts";
import type { RunningProcess } from "../support/process.ts";
import {
  type LabPlan,
  readLabPlan,
  takeTurnsTranscript,
  withOption,
} from "./compose.ts";
import { CLIENT_ADDRESS, LabNetwork, labSkipReason } from "./netns.ts";

const GOODBYE = "The other side closed the connection.";

const inCi = Deno.env.get("CI") === "true";
const skipReason = await labSkipReason();
if (skipReason !== null && !inCi) {
  console.warn(`Skipping the two-host lab tests: ${skipReason}`);
}

/** A lab test: skipped here without root, but never skipped in CI. */
function labTest(
  name: string,
  fn: (plan: LabPlan) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: skipReason !== null && !inCi,
    async fn() {
      if (skipReason !== null) {
        throw new Error(`The lab must run in CI, but cannot: ${skipReason}`);
      }
      await fn(await readLabPlan());
    },
  });
}

function receivedLines(process: RunningProcess): string[] {
  return process.stdout.lines
    .filter((line) => line.startsWith("Received: "))
    .map((line) => line.slice("Received: ".length));
}

labTest(
  "compose's take-turns conversation plays across two network namespaces",
  async (plan) => {
    await using lab = await LabNetwork.create({ serverName: plan.serverHost });
    const [healthCommand, ...healthArgs] = plan.healthcheck;

    // Compose starts the client once the health check passes: not before the
    // server listens, and then it does.
    const early = await lab.run("server", healthCommand, healthArgs);
    assertEquals(early.code, 1, "healthy before the server started");
    await using server = lab.shell("server", plan.server.shell);
    await server.stdout.waitForContaining(`Listening on 0.0.0.0:${plan.port}`);
    const ready = await lab.run("server", healthCommand, healthArgs);
    assertEquals(ready.code, 0, "not healthy while the server listens");

    await using client = lab.shell("client", plan.client.shell);
    // The client first: if it failed, its error says more than a server
    // still waiting for it would.
    const clientStatus = await client.finish();
    assertEquals(client.stderr.lines, []);
    assertEquals(clientStatus.code, 0);
    const serverStatus = await server.finish();
    assertEquals(server.stderr.lines, []);
    assertEquals(serverStatus.code, 0);

    // The connection came from the other host's address, by the server's name.
    assertMatch(
      client.stdout.lines[0],
      new RegExp(`^Connected to ${plan.serverHost}:${plan.port}\\.`),
    );
    assertOk(
      server.stdout.lines.some((line) =>
        line.startsWith(`Connected to ${CLIENT_ADDRESS}:`)
      ),
      `server did not see the client's address:\n${server.stdout.text}`,
    );

    const expected = takeTurnsTranscript(plan.client.lines, plan.server.lines);
    assertOk(expected.firstHears.length > 0, "the server says nothing");
    assertEquals(receivedLines(client), expected.firstHears);
    assertEquals(receivedLines(server), expected.secondHears);
    const [hungUp, left] = expected.hangsUp === "first"
      ? [client, server]
      : [server, client];
    assertEquals(left.stdout.lines.at(-1), GOODBYE);
    assertOk(!hungUp.stdout.lines.includes(GOODBYE));
  },
);

labTest(
  "room conversation works across two network namespaces",
  async (plan) => {
    await using lab = await LabNetwork.create({ serverName: plan.serverHost });
    // compose.yaml's take-turns server has only --allow-net; a room also
    // needs to read CHATLAB_PASSWORD, or it refuses to start (fail closed).
    const permissions = [
      ...plan.server.permissions,
      "--allow-env=CHATLAB_PASSWORD",
    ];
    await using server = lab.runScript("server", permissions, "server.ts", [
      ...plan.server.args,
      "--room",
    ]);
    await server.stdout.waitForContaining(`Listening on 0.0.0.0:${plan.port}`);

    const join = (name: string) =>
      lab.runScript("client", plan.client.permissions, "client.ts", [
        ...plan.client.args,
        "--name",
        name,
      ]);
    await using alice = join("alice");
    await alice.stdout.waitForContaining("*** Hello alice!");
    await using bob = join("bob");
    await bob.stdout.waitForContaining("*** Hello bob!");
    await alice.stdout.waitForContaining("*** bob joined");
    await server.stdout.waitForContaining("*** bob joined");

    await alice.writeLines("hi from the client host");
    await bob.stdout.waitForContaining("<alice> hi from the client host");
    await server.stdout.waitForContaining("<alice> hi from the client host");
    await bob.writeLines("hi alice");
    await alice.stdout.waitForContaining("<bob> hi alice");
    await server.writeLines("welcome to the server host");
    await alice.stdout.waitForContaining("<host> welcome to the server host");
    await bob.stdout.waitForContaining("<host> welcome to the server host");

    await alice.writeLines("/quit");
    await bob.stdout.waitForMatch(/^\*\*\* alice left/);
    assertEquals((await alice.finish()).code, 0);
    // A sender never gets its own line back, across hosts too.
    assertOk(!alice.stdout.lines.some((line) => line.startsWith("<alice>")));
    assertOk(!bob.stdout.lines.some((line) => line.startsWith("<bob>")));
  },
);

labTest(
  "server on 127.0.0.1 is refused to the other host, on 0.0.0.0 it is reached",
  async (plan) => {
    await using lab = await LabNetwork.create({ serverName: plan.serverHost });
    const { server: serverCommand, client: clientCommand } = plan;
    const startServer = async (host: string) => {
      const server = lab.runScript(
        "server",
        serverCommand.permissions,
        "server.ts",
        withOption(serverCommand.args, "host", host),
      );
      await server.stdout.waitForContaining(
        `Listening on ${host}:${plan.port}`,
      );
      return server;
    };
    const connect = (host: "server" | "client", serverHost: string) =>
      lab.runScript(
        host,
        clientCommand.permissions,
        "client.ts",
        withOption(clientCommand.args, "host", serverHost),
      );

    {
      await using local = await startServer("127.0.0.1");
      await using refused = connect("client", plan.serverHost);
      assertEquals((await refused.finish()).code, 1);
      assertEquals(refused.stdout.lines, []);
      assertEquals(refused.stderr.lines.length, 1, refused.stderr.text);
      assertMatch(
        refused.stderr.lines[0],
        new RegExp(
          `^error: Connection refused by ${plan.serverHost}:${plan.port}: `,
        ),
      );
      // 127.0.0.1 is "this computer": from the server host itself, it works.
      await using sameHost = connect("server", "127.0.0.1");
      await sameHost.writeLines("hello from the same host");
      await local.stdout.waitForContaining(
        "Received: hello from the same host",
      );
    }

    await using everywhere = await startServer("0.0.0.0");
    await using reached = connect("client", plan.serverHost);
    await reached.writeLines("hello from the other host");
    await everywhere.stdout.waitForContaining(
      "Received: hello from the other host",
    );
    await everywhere.writeLines("hello back");
    await reached.stdout.waitForContaining("Received: hello back");
    assertEquals((await reached.finish()).code, 0);
    await everywhere.stdout.waitForContaining(GOODBYE);
    assertEquals((await everywhere.finish()).code, 0);
  },
);
