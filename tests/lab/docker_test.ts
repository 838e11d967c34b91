/**
 * The README's Docker commands, run for real: `docker compose up` plays the
 * scripted conversation between two containers, and the "Typing yourself",
 * room and published-port commands work as the README says. Every command
 * is read from README.md, so a change there is tested here.
 *
 * Debian ships Compose v1 (`docker-compose`), so each `docker compose ...`
 * command is run as `docker-compose ...` with the same words (see
 * {@linkcode composeV1}). Where no registry can be reached, the base image
 * is a stand-in built from this Deno (see {@linkcode BaseImage}).
 *
 * Run with `deno task test:lab` (root, or a running Docker engine). Without
 * Docker it is skipped with the reason, except in CI (`CI=true`).
 */

import { assertEquals, assertOk } from "../support/assert.ts";
import { RunningProcess } from "../support/process.ts";
import { testNeeding } from "../support/requires.ts";
import { readLabPlan, takeTurnsTranscript } from "./compose.ts";
import {
  BaseImage,
  ComposeProject,
  composeV1,
  DockerEngine,
  dockerMissing,
  run,
  runOk,
} from "./docker.ts";

const README = new URL("../../README.md", import.meta.url).pathname;
const GOODBYE = "The other side closed the connection.";

/** The shell commands in the `sh` blocks of one README section, comments dropped. */
async function readmeCommands(heading: string): Promise<string[]> {
  const readme = await Deno.readTextFile(README);
  const start = readme.indexOf(`\n${heading}\n`);
  assertOk(start !== -1, `README.md has no section "${heading}"`);
  // The next heading of level 2 or 3 (a `#` comment in a block is not one).
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(/^##+ /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  const commands = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split("\n")) {
      const command = line.replace(/(^|\s+)#.*$/, "").trim();
      if (command !== "") commands.push(command);
    }
  }
  return commands;
}

/** A README `docker compose` command, started in `project` as Compose v1. */
function startCompose(
  project: ComposeProject,
  command: string,
): RunningProcess {
  const [program, ...args] = composeV1(command);
  return new RunningProcess(program, args, { env: project.env });
}

/** Strips colours: Compose v1 colours its log even into a pipe. */
function plain(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** What one service printed in a `docker compose up` log (v1 `server_1 |`, v2 `server-1 |`). */
function serviceLog(log: string, service: string): string[] {
  const prefix = new RegExp(`^${service}[-_]1\\s+\\| ?`);
  return plain(log).split("\n").filter((line) => prefix.test(line)).map((
    line,
  ) => line.replace(prefix, ""));
}

function receivedOf(lines: string[]): string[] {
  return lines.filter((line) => line.startsWith("Received: ")).map((line) =>
    line.slice("Received: ".length)
  );
}

testNeeding(
  await dockerMissing(),
  "README's Docker commands run for real: compose up, typing yourself, a room, a published port",
  async (t) => {
    await using engine = await DockerEngine.start();
    await using base = await BaseImage.provide();
    await using project = new ComposeProject();
    console.log(
      `Docker engine ${
        engine.startedHere ? "started for this test" : "already running"
      }; base image ${base.name}: ${base.source}`,
    );

    await t.step(
      "docker compose up plays the scripted conversation and exits 0",
      async () => {
        const [up] = await readmeCommands(
          "### A scripted conversation, in one command",
        );
        assertEquals(up, "docker compose up --build --abort-on-container-exit");
        const [program, ...args] = composeV1(up);
        const result = await run(program, args, { env: project.env });
        const log = result.stdout + result.stderr;
        assertEquals(result.code, 0, log);
        const plan = await readLabPlan();
        const expected = takeTurnsTranscript(
          plan.client.lines,
          plan.server.lines,
        );
        // Compose stops the server once the client exits: the server's log
        // as the container kept it has every line, even one printed as
        // Compose stopped following it.
        const serverLog = await runOk("docker-compose", [
          "logs",
          "--no-color",
          "server",
        ], { env: project.env });
        const server = serviceLog(serverLog.stdout, "server");
        const client = serviceLog(result.stdout, "client");
        assertEquals(receivedOf(client), expected.firstHears, log);
        assertEquals(receivedOf(server), expected.secondHears, log);
        assertEquals(
          client[0],
          `Connected to ${plan.serverHost}:${plan.port}.`,
        );
        assertEquals(server.at(-1), GOODBYE, log);
        assertOk(
          /client[-_]1 exited with code 0/.test(plain(log)),
          `no "client exited with code 0" in:\n${log}`,
        );
      },
    );

    await t.step(
      "typing yourself: a server and a client you type into",
      async () => {
        const [build, serverCommand, clientCommand] = await readmeCommands(
          "### Typing yourself",
        );
        const [program, ...args] = composeV1(build);
        await runOk(program, args, { env: project.env });
        await using server = startCompose(project, serverCommand);
        await server.stdout.waitForContaining("Listening on 0.0.0.0:5555");
        await using client = startCompose(project, clientCommand);
        await client.stdout.waitForContaining("Connected to server:5555.");
        await client.writeLines("hello from the client container");
        await server.stdout.waitForLine(
          "Received: hello from the client container",
        );
        await server.writeLines("hello from the server container");
        await client.stdout.waitForLine(
          "Received: hello from the server container",
        );
        assertEquals((await client.finish()).code, 0, client.stderr.text);
        await server.stdout.waitForLine(GOODBYE);
        assertEquals((await server.finish()).code, 0, server.stderr.text);
      },
    );

    await t.step(
      "a published server container takes turns with client.ts on this computer",
      async () => {
        const [build, runCommand] = await readmeCommands(
          "### A server container that real computers can reach",
        );
        assertEquals(build, "docker build -t chatlab .");
        assertEquals(runCommand, "docker run --rm -it -p 5555:5555 chatlab");
        const tag = build.split(" ")[3];
        const tagExisted =
          (await run("docker", ["image", "inspect", tag])).code === 0;
        const name = `${project.name}-published`;
        try {
          await runOk("docker", build.split(" ").slice(1));
          // A test has no terminal (-it becomes -i) and must not open port 5555
          // to every network: Docker publishes the port on 127.0.0.1 only, on
          // a free port it chooses, which `docker port` tells.
          const args = runCommand.split(" ").slice(1)
            .map((word) => word === "-it" ? "-i" : word)
            .map((word) => word === "5555:5555" ? "127.0.0.1::5555" : word);
          args.splice(1, 0, "--name", name);
          await using server = new RunningProcess("docker", args);
          await server.stdout.waitForContaining("Listening on 0.0.0.0:5555");
          const published = await runOk("docker", ["port", name, "5555/tcp"]);
          const port = published.stdout.match(/^127\.0\.0\.1:(\d+)$/m)?.[1];
          assertOk(port, `docker port said: ${published.stdout}`);
          await using client = new RunningProcess(Deno.execPath(), [
            "run",
            "--allow-net",
            "client.ts",
            "--host",
            "127.0.0.1",
            "--port",
            port,
          ]);
          await client.stdout.waitForContaining(
            `Connected to 127.0.0.1:${port}.`,
          );
          await client.writeLines("hello from this computer");
          await server.stdout.waitForLine(
            "Received: hello from this computer",
          );
          await server.writeLines("hello from the container");
          await client.stdout.waitForLine(
            "Received: hello from the container",
          );
          assertEquals((await client.finish()).code, 0, client.stderr.text);
          await server.stdout.waitForLine(GOODBYE);
          assertEquals((await server.finish()).code, 0, server.stderr.text);
        } finally {
          await run("docker", ["rm", "--force", name]);
          if (!tagExisted) await run("docker", ["image", "rm", "--force", tag]);
        }
      },
    );

    await t.step(
      "a room: the teacher's container and two clients' containers",
      async () => {
        const [roomCommand, aliceCommand, bobCommand] = await readmeCommands(
          "### A room with several clients",
        );
        await using room = startCompose(project, roomCommand);
        await room.stdout.waitForContaining('*** Room open as "teacher".');
        await using alice = startCompose(project, aliceCommand);
        await alice.stdout.waitForContaining("*** Hello alice!");
        await using bob = startCompose(project, bobCommand);
        await bob.stdout.waitForContaining("*** Hello bob!");
        await alice.stdout.waitForContaining("*** bob joined");

        await alice.writeLines("hi from alice's container");
        await bob.stdout.waitForLine(
          "<alice> hi from alice's container",
        );
        await room.stdout.waitForLine(
          "<alice> hi from alice's container",
        );
        await bob.writeLines("and from bob's");
        await alice.stdout.waitForLine("<bob> and from bob's");
        await room.writeLines("welcome, both of you");
        await alice.stdout.waitForLine("<teacher> welcome, both of you");
        await bob.stdout.waitForLine("<teacher> welcome, both of you");

        await alice.writeLines("/quit");
        assertEquals((await alice.finish()).code, 0, alice.stderr.text);
        await bob.stdout.waitForMatch(/^\*\*\* alice left/);
        assertEquals((await bob.finish()).code, 0, bob.stderr.text);
        // The room runs until its teacher stops it (Ctrl+C in a terminal).
        await project.removeContainers();
        // The README's clean-up, then nothing of the project is left.
        const [program, ...args] = composeV1("docker compose down");
        await runOk(program, args, { env: project.env });
        const left = await runOk("docker", [
          "ps",
          "--all",
          "--quiet",
          "--filter",
          `label=com.docker.compose.project=${project.name}`,
        ]);
        assertEquals(left.stdout, "");
      },
    );
  },
);
