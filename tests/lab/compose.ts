/**
 * Reads `compose.yaml` the way Compose itself does, so the lab test can run
 * exactly the commands the containers run: one source of truth.
 *
 * @module
 */

import { runToExit } from "../support/process.ts";

/** How long a `docker-compose` command that only reads files may take (a hang guard). */
const COMPOSE_WAIT_MS = 60_000;

/** The compose file the lab test follows. */
export const COMPOSE_FILE = "compose.yaml";

/** One service, as `docker-compose config` prints it (the parts we use). */
export interface ComposeService {
  /** The command, as a list of arguments. */
  command?: string[];
  /** Ports opened to the other containers. */
  expose?: (string | number)[];
  /** The networks the service joins, by name. */
  networks?: Record<string, unknown> | string[];
  /** The service's health check. */
  healthcheck?: { test?: string[] | string };
  /** Services to wait for, and for what. */
  depends_on?: Record<string, { condition?: string }> | string[];
  /** How to build the image. */
  build?: { context?: string } | string;
}

/** A compose file after Compose has checked and normalised it. */
export interface ComposeConfig {
  /** Services by name. */
  services: Record<string, ComposeService>;
  /** Networks by name. */
  networks?: Record<string, { internal?: boolean } | null>;
}

/**
 * A service command of the lab's shape: `sh -c` running
 * `exec deno run PERMISSIONS SCRIPT ARGS... <<'END'`, then the lines typed,
 * then `END`.
 */
export interface ScriptedCommand {
  /** The whole shell text given to `sh -c`. */
  shell: string;
  /** The `deno run` permission flags, such as `--allow-net`. */
  permissions: string[];
  /** `server.ts` or `client.ts`. */
  script: string;
  /** The script's arguments. */
  args: string[];
  /** The lines fed to the script's stdin, in order. */
  lines: string[];
}

const SCRIPTED_COMMAND =
  /^exec deno run ((?:--allow-[\w-]+(?:=\S+)? )+)(\S+\.ts)((?: \S+)*) <<'END'\n((?:.*\n)*?)END\n?$/;

/** The service that runs `server.ts`. */
export const SERVER_SERVICE = "server";

/** The service that runs `client.ts`. */
export const CLIENT_SERVICE = "client";

/** What the lab test runs, every part taken from `compose.yaml`. */
export interface LabPlan {
  /** The server service's command. */
  server: ScriptedCommand;
  /** The client service's command. */
  client: ScriptedCommand;
  /** The name the client connects to (the server's service name). */
  serverHost: string;
  /** The port the server listens on and the client connects to. */
  port: number;
  /** The server's health check, as a command and its arguments. */
  healthcheck: string[];
}

/** The name of the command that prints the config: `docker-compose` (v1) or a v2 build of it. */
export const COMPOSE_COMMAND = "docker-compose";

/** Whether `docker-compose` can be run here. */
export async function hasDockerCompose(): Promise<boolean> {
  try {
    const { status } = await runToExit(COMPOSE_COMMAND, ["version"], {
      timeoutMs: COMPOSE_WAIT_MS,
    });
    return status.success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Checks and normalises `compose.yaml` with `docker-compose config`. Compose
 * v2 prints JSON when asked; v1 only prints YAML, which its own YAML library
 * (PyYAML, a dependency of docker-compose v1) turns into JSON.
 */
export function readComposeConfig(): Promise<ComposeConfig> {
  // One read per test run: Compose takes most of a second to start.
  composeConfig ??= normaliseComposeFile();
  return composeConfig;
}

let composeConfig: Promise<ComposeConfig> | undefined;

async function normaliseComposeFile(): Promise<ComposeConfig> {
  const asJson = await run(COMPOSE_COMMAND, [
    "-f",
    COMPOSE_FILE,
    "config",
    "--format",
    "json",
  ]);
  const parsed = parseJsonOrNull(asJson.stdout);
  if (asJson.success && parsed !== null) return parsed as ComposeConfig;

  const asYaml = await run(COMPOSE_COMMAND, ["-f", COMPOSE_FILE, "config"]);
  if (!asYaml.success) {
    throw new Error(
      `${COMPOSE_COMMAND} config rejected ${COMPOSE_FILE}:\n${asYaml.stderr}`,
    );
  }
  const converted = await run("python3", [
    "-c",
    "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)",
  ], asYaml.stdout);
  if (!converted.success) {
    throw new Error(
      `Cannot turn the YAML from ${COMPOSE_COMMAND} config into JSON (is python3-yaml installed?):\n${converted.stderr}`,
    );
  }
  return JSON.parse(converted.stdout) as ComposeConfig;
}

/** Reads `compose.yaml` into what the lab test runs. */
export async function readLabPlan(): Promise<LabPlan> {
  const config = await readComposeConfig();
  const serverService = serviceOf(config, SERVER_SERVICE);
  const server = parseScriptedCommand(serverService);
  const client = parseScriptedCommand(serviceOf(config, CLIENT_SERVICE));
  return {
    server,
    client,
    serverHost: optionValue(client.args, "host"),
    port: Number(optionValue(server.args, "port")),
    healthcheck: healthcheckCommand(serverService),
  };
}

/** A service's health check as a command and its arguments (`CMD` or `CMD-SHELL` form). */
export function healthcheckCommand(service: ComposeService): string[] {
  const test = service.healthcheck?.test;
  if (typeof test === "string") return ["sh", "-c", test];
  if (test?.[0] === "CMD" && test.length > 1) return test.slice(1);
  if (test?.[0] === "CMD-SHELL" && test.length === 2) {
    return ["sh", "-c", test[1]];
  }
  throw new Error(
    `Expected a CMD or CMD-SHELL health check, got ${JSON.stringify(test)}`,
  );
}

/** Returns the named service, or throws naming the services there are. */
export function serviceOf(
  config: ComposeConfig,
  name: string,
): ComposeService {
  const service = config.services[name];
  if (service === undefined) {
    throw new Error(
      `${COMPOSE_FILE} has no service "${name}"; it has: ${
        Object.keys(config.services).join(", ")
      }`,
    );
  }
  return service;
}

/** Splits a service's `sh -c` command into permissions, script, arguments and typed lines. */
export function parseScriptedCommand(service: ComposeService): ScriptedCommand {
  const command = service.command ?? [];
  if (command.length !== 3 || command[0] !== "sh" || command[1] !== "-c") {
    throw new Error(
      `Expected the command ["sh", "-c", "exec deno run ..."], got ${
        JSON.stringify(command)
      }`,
    );
  }
  const shell = command[2];
  const match = shell.match(SCRIPTED_COMMAND);
  if (match === null) {
    throw new Error(
      `Expected "exec deno run --allow-... SCRIPT.ts ARGS <<'END'", the lines, then "END"; got:\n${shell}`,
    );
  }
  const [, permissions, script, args, lines] = match;
  return {
    shell,
    permissions: permissions.trim().split(" "),
    script,
    args: args.trim() === "" ? [] : args.trim().split(" "),
    lines: lines === "" ? [] : lines.replace(/\n$/, "").split("\n"),
  };
}

/** The value after `--NAME` in `args`, or throws. */
export function optionValue(args: string[], name: string): string {
  const index = args.indexOf(`--${name}`);
  if (index === -1 || index + 1 >= args.length) {
    throw new Error(`No --${name} VALUE in ${JSON.stringify(args)}`);
  }
  return args[index + 1];
}

/** `args` with the value after `--NAME` replaced. */
export function withOption(
  args: string[],
  name: string,
  value: string,
): string[] {
  const index = args.indexOf(`--${name}`);
  if (index === -1) throw new Error(`No --${name} in ${JSON.stringify(args)}`);
  return args.with(index + 1, value);
}

/** The names of the networks a service joins (Compose prints a map or a list). */
export function networkNames(service: ComposeService): string[] {
  const networks = service.networks ?? [];
  return Array.isArray(networks) ? networks : Object.keys(networks);
}

interface RunResult {
  success: boolean;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  input?: string,
): Promise<RunResult> {
  const { status, stdoutText, stderrText } = await runToExit(command, args, {
    input,
    timeoutMs: COMPOSE_WAIT_MS,
  });
  return { success: status.success, stdout: stdoutText, stderr: stderrText };
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Who hears what in a take-turns chat, and who hangs up (runs out of lines first). */
export interface TakeTurnsTranscript {
  /** What the side that speaks first receives. */
  firstHears: string[];
  /** What the other side receives. */
  secondHears: string[];
  /** Which side hangs up. */
  hangsUp: "first" | "second";
}

/** Plays a take-turns chat on paper: the first side speaks, then the second, and so on. */
export function takeTurnsTranscript(
  first: string[],
  second: string[],
): TakeTurnsTranscript {
  for (let turn = 0;; turn++) {
    if (turn >= first.length) {
      return {
        firstHears: second.slice(0, turn),
        secondHears: first.slice(0, turn),
        hangsUp: "first",
      };
    }
    if (turn >= second.length) {
      return {
        firstHears: second.slice(0, turn),
        secondHears: first.slice(0, turn + 1),
        hangsUp: "second",
      };
    }
  }
}
