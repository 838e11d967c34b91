/**
 * `compose.yaml` and the `Dockerfile` keep the shape the lab test relies on:
 * the lab runs their commands, so the two cannot drift apart.
 */

import { assertEquals, assertMatch, assertOk } from "../support/assert.ts";
import {
  CLIENT_SERVICE,
  type ComposeConfig,
  hasDockerCompose,
  healthcheckCommand,
  networkNames,
  optionValue,
  parseScriptedCommand,
  readComposeConfig,
  SERVER_SERVICE,
  serviceOf,
} from "./compose.ts";

import { ROOT } from "../support/paths.ts";
const NETWORK = "lab";

const inCi = Deno.env.get("CI") === "true";
const composeMissing = !await hasDockerCompose();
if (composeMissing && !inCi) {
  console.warn(
    "Skipping the compose.yaml checks: docker-compose is not installed (apt-get install docker-compose)",
  );
}

/** A check of the normalised compose file: skipped without docker-compose, except in CI. */
function composeTest(
  name: string,
  fn: (config: ComposeConfig) => void | Promise<void>,
): void {
  Deno.test({
    name,
    ignore: composeMissing && !inCi,
    async fn() {
      await fn(await readComposeConfig());
    },
  });
}

composeTest(
  "compose.yaml has a server and a client on one private network",
  (config) => {
    assertEquals(Object.keys(config.services).sort(), [
      CLIENT_SERVICE,
      SERVER_SERVICE,
    ]);
    assertEquals(Object.keys(config.networks ?? {}), [NETWORK]);
    assertEquals(config.networks?.[NETWORK]?.internal, true);
    for (const name of [SERVER_SERVICE, CLIENT_SERVICE]) {
      const service = serviceOf(config, name);
      assertEquals(networkNames(service), [NETWORK], `${name}'s networks`);
      const context = typeof service.build === "string"
        ? service.build
        : service.build?.context;
      assertEquals(
        context?.replace(/\/?$/, "/"),
        ROOT,
        `${name} is built from the repository's Dockerfile`,
      );
    }
  },
);

composeTest(
  "compose.yaml's server listens on every network, on the port it exposes",
  (config) => {
    const service = serviceOf(config, SERVER_SERVICE);
    const server = parseScriptedCommand(service);
    assertEquals(server.script, "server.ts");
    assertEquals(server.permissions, ["--allow-net"]);
    assertEquals(optionValue(server.args, "host"), "0.0.0.0");
    const port = optionValue(server.args, "port");
    assertEquals((service.expose ?? []).map(String), [port]);
    assertOk(server.lines.length > 0, "the server has nothing to say");
  },
);

composeTest(
  "compose.yaml's client reaches the server by its service name, once it is healthy",
  (config) => {
    const service = serviceOf(config, CLIENT_SERVICE);
    const client = parseScriptedCommand(service);
    const server = parseScriptedCommand(serviceOf(config, SERVER_SERVICE));
    assertEquals(client.script, "client.ts");
    assertEquals(client.permissions, ["--allow-net"]);
    assertEquals(optionValue(client.args, "host"), SERVER_SERVICE);
    assertEquals(
      optionValue(client.args, "port"),
      optionValue(server.args, "port"),
    );
    assertOk(client.lines.length > 0, "the client has nothing to say");
    const dependsOn = service.depends_on;
    assertOk(dependsOn !== undefined && !Array.isArray(dependsOn));
    assertEquals(dependsOn[SERVER_SERVICE]?.condition, "service_healthy");
  },
);

composeTest(
  "compose.yaml's health check looks for the server's port in LISTEN state",
  (config) => {
    const service = serviceOf(config, SERVER_SERVICE);
    const port = Number(
      optionValue(parseScriptedCommand(service).args, "port"),
    );
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
    // The lab test runs this command and sees it fail, then pass.
    assertEquals(healthcheckCommand(service), [
      "grep",
      "-q",
      `:${hexPort} 00000000:0000 0A`,
      "/proc/net/tcp",
    ]);
  },
);

Deno.test("Dockerfile uses CI's Deno, caches the scripts, runs as deno without -A", async () => {
  const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
  const ciRun = await Deno.readTextFile(`${ROOT}.ci/run`);
  const ciVersion = ciRun.match(/^DENO_VERSION=(\S+)$/m)?.[1];
  assertOk(ciVersion, "no DENO_VERSION= in .ci/run");
  const instructions = dockerfile.split("\n").filter((line) =>
    /^[A-Z]+ /.test(line)
  );
  assertEquals(
    instructions.filter((line) => line.startsWith("FROM ")),
    [`FROM denoland/deno:${ciVersion}`],
  );
  assertOk(instructions.includes("RUN deno cache server.ts client.ts"));
  const user = instructions.findLast((line) => line.startsWith("USER "));
  assertEquals(user, "USER deno");
  const cmd = instructions.findLast((line) => line.startsWith("CMD "));
  assertOk(cmd, "no CMD");
  // The permissions of `deno task server`, no more.
  assertMatch(
    cmd,
    /"--allow-net", "--allow-env=CHATLAB_PASSWORD", "server\.ts"/,
  );
  assertOk(
    !/"(-A|--allow-all)"/.test(dockerfile),
    "the Dockerfile grants every permission",
  );
});
