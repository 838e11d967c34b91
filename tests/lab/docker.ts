/**
 * A real Docker engine for the lab tests: started when none runs (and then
 * stopped again, with the host's firewall and forwarding put back as they
 * were), the base image `denoland/deno:2.9.6` (the real one where it can be
 * pulled, else a stand-in built from this Deno), and Compose projects that
 * are removed with their containers, networks and images even after a
 * failure.
 *
 * @module
 */

import { needProgram } from "../support/requires.ts";

import { ROOT } from "../support/paths.ts";
import { runToExit } from "../support/process.ts";

/** The longest any one Docker command may take (a build on a busy machine). */
export const DOCKER_WAIT_MS = 300_000;

/** What a finished command returned. */
export interface DockerResult {
  /** The exit code. */
  code: number;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Text for stdin. */
  stdin?: string;
  /**
   * How long the command may take before it is killed and reported.
   *
   * @default {DOCKER_WAIT_MS}
   */
  timeoutMs?: number;
}

/** Runs a command to its end (bounded), from the repository root. */
export async function run(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<DockerResult> {
  const { status, stdoutText, stderrText } = await runToExit(command, args, {
    env: options.env,
    input: options.stdin,
    timeoutMs: options.timeoutMs ?? DOCKER_WAIT_MS,
  });
  return { code: status.code, stdout: stdoutText, stderr: stderrText };
}

/** Runs a command and throws with its output unless it exits 0. */
export async function runOk(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<DockerResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${
        args.join(" ")
      } exited ${result.code}:\n${result.stdout}${result.stderr}`,
    );
  }
  return result;
}

/** Whether a Docker engine answers on its default socket. */
export async function engineRunning(): Promise<boolean> {
  return (await run("docker", ["info"], { timeoutMs: 30_000 })).code === 0;
}

/**
 * Why Docker cannot be tested here, or `null` when it can: the `docker` and
 * `docker-compose` programs, and an engine that runs or that this root user
 * can start.
 */
export async function dockerMissing(): Promise<string | null> {
  const program = needProgram("docker", "docker.io") ??
    needProgram("docker-compose", "docker-compose");
  if (program !== null) return program;
  if (await engineRunning()) return null;
  const start = needProgram("dockerd", "docker.io");
  if (start !== null) return start;
  const uid = await Deno.permissions.query({ name: "sys", kind: "uid" });
  if (uid.state !== "granted" || Deno.uid() !== 0) {
    return "no Docker engine runs, and starting one needs root (sudo dockerd, or run the tests as root)";
  }
  return null;
}

/** The host state dockerd changes: firewall tables, IPv4 forwarding, docker0. */
interface HostNetworkState {
  tables: { name: string; rules: string }[];
  ipForward: string;
  hadDocker0: boolean;
}

const IP_FORWARD = "net.ipv4.ip_forward";

/** The tables dockerd adds rules to, as `iptables-restore` input when empty. */
const EMPTY_TABLES: Record<string, string> = {
  filter: "*filter\n:INPUT ACCEPT\n:FORWARD ACCEPT\n:OUTPUT ACCEPT\nCOMMIT\n",
  nat:
    "*nat\n:PREROUTING ACCEPT\n:INPUT ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\nCOMMIT\n",
};

async function saveHostNetwork(): Promise<HostNetworkState> {
  const tables = [];
  for (const name of Object.keys(EMPTY_TABLES)) {
    const saved = (await runOk("iptables-save", ["-t", name])).stdout;
    // A table nothing has used yet is not listed: restore it as empty.
    const rules = saved.includes(`*${name}\n`) ? saved : EMPTY_TABLES[name];
    tables.push({ name, rules });
  }
  return {
    tables,
    // Deno lets only --allow-all read /proc/sys: ask sysctl.
    ipForward: (await runOk("sysctl", ["-n", IP_FORWARD])).stdout.trim(),
    hadDocker0: (await run("ip", ["link", "show", "docker0"])).code === 0,
  };
}

async function restoreHostNetwork(state: HostNetworkState): Promise<void> {
  for (const table of state.tables) {
    await runOk("iptables-restore", ["-T", table.name], {
      stdin: table.rules,
    });
  }
  await runOk("sysctl", ["-q", "-w", `${IP_FORWARD}=${state.ipForward}`]);
  if (!state.hadDocker0) {
    await run("ip", ["link", "delete", "docker0"]);
  }
}

/**
 * The Docker engine for a test run. If one already runs, it is used and left
 * alone; otherwise `dockerd` is started, and on dispose it is stopped and the
 * iptables rules, IPv4 forwarding and the `docker0` bridge it made are put
 * back as they were.
 */
export class DockerEngine implements AsyncDisposable {
  readonly #started: Deno.ChildProcess | null;
  readonly #hostState: HostNetworkState | null;

  private constructor(
    started: Deno.ChildProcess | null,
    hostState: HostNetworkState | null,
  ) {
    this.#started = started;
    this.#hostState = hostState;
  }

  /** Whether this run started the engine (and will stop it). */
  get startedHere(): boolean {
    return this.#started !== null;
  }

  /** Uses the running engine, or starts one and waits until it answers. */
  static async start(): Promise<DockerEngine> {
    if (await engineRunning()) return new DockerEngine(null, null);
    const hostState = await saveHostNetwork();
    const daemon = new Deno.Command("dockerd", {
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const log = new Response(daemon.stderr).text();
    const engine = new DockerEngine(daemon, hostState);
    const deadline = Date.now() + 60_000;
    while (!await engineRunning()) {
      if (Date.now() > deadline) {
        await engine[Symbol.asyncDispose]();
        throw new Error(
          `dockerd did not answer within 60 s; it said:\n${await log}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    log.catch(() => "");
    return engine;
  }

  /** Stops the engine if this run started it, and restores the host network. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#started === null) return;
    // SIGTERM: dockerd stops its containers and its containerd, then exits.
    this.#started.kill("SIGTERM");
    const timer = setTimeout(() => this.#started?.kill("SIGKILL"), 60_000);
    try {
      await this.#started.status;
    } finally {
      clearTimeout(timer);
    }
    if (this.#hostState !== null) await restoreHostNetwork(this.#hostState);
  }
}

/** The base image the `Dockerfile` builds on, as its `FROM` line names it. */
export async function baseImageName(): Promise<string> {
  const dockerfile = await Deno.readTextFile(`${ROOT}Dockerfile`);
  const from = dockerfile.match(/^FROM (\S+)$/m)?.[1];
  if (from === undefined) throw new Error("The Dockerfile has no FROM line");
  return from;
}

/** Where the base image came from. */
export type BaseImageSource = "present" | "pulled" | "stand-in";

/**
 * The `Dockerfile`'s base image: the one already there, else the real one
 * pulled, else (no registry reachable) a stand-in built under the same name.
 * On dispose, an image this run pulled or built is removed again.
 */
export class BaseImage implements AsyncDisposable {
  /** The image name, such as `denoland/deno:2.9.6`. */
  readonly name: string;
  /** Where it came from. */
  readonly source: BaseImageSource;

  private constructor(name: string, source: BaseImageSource) {
    this.name = name;
    this.source = source;
  }

  /** Finds, pulls or builds the base image. */
  static async provide(): Promise<BaseImage> {
    const name = await baseImageName();
    if ((await run("docker", ["image", "inspect", name])).code === 0) {
      return new BaseImage(name, "present");
    }
    const pulled = await run("docker", ["pull", name], { timeoutMs: 120_000 });
    if (pulled.code === 0) return new BaseImage(name, "pulled");
    const image = new BaseImage(name, "stand-in");
    try {
      await runOk("sh", [
        "-c",
        BUILD_STAND_IN,
        "build-stand-in",
        Deno.execPath(),
        name,
      ]);
    } catch (error) {
      await image[Symbol.asyncDispose]();
      throw error;
    }
    return image;
  }

  /** Removes the image if this run pulled or built it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.source === "present") return;
    await run("docker", ["image", "rm", "--force", this.name]);
  }
}

/**
 * Builds the stand-in for `denoland/deno:VERSION` as the official image is
 * made where it matters here: `deno` on the `PATH`, a `deno` user with uid
 * 1993, `DENO_DIR=/deno-dir` owned by it. Beside `deno`, only `sh` and `grep`
 * (the Compose commands and health check use them) and the libraries the
 * three link, as `ldd` lists them. Arguments: the Deno binary, the image name.
 */
const BUILD_STAND_IN = `
set -eu
deno_binary=$1 image=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/bin" "$root/etc" "$root/deno-dir" "$root/tmp" "$root/home/deno"
cp "$deno_binary" "$root/usr/bin/deno"
cp "$(readlink -f /bin/sh)" "$root/bin/sh"
cp "$(readlink -f "$(command -v grep)")" "$root/bin/grep"
for binary in "$root/usr/bin/deno" "$root/bin/sh" "$root/bin/grep"; do
  ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\\// { print $3 } $1 ~ /^\\// { print $1 }'
done | sort -u | while read -r library; do
  cp --parents -L "$library" "$root"
done
printf 'root:x:0:0:root:/root:/bin/sh\\ndeno:x:1993:1993::/home/deno:/bin/sh\\n' >"$root/etc/passwd"
printf 'root:x:0:\\ndeno:x:1993:\\n' >"$root/etc/group"
chown 1993:1993 "$root/deno-dir" "$root/home/deno"
chmod 1777 "$root/tmp"
tar --numeric-owner -C "$root" -c . | docker import \\
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \\
  --change 'ENV DENO_DIR=/deno-dir' \\
  --change 'CMD ["deno", "--version"]' \\
  - "$image" >/dev/null
`;

/**
 * Turns a Compose v2 command from the docs (`docker compose ...`) into the
 * v1 one Debian ships (`docker-compose ...`): the same words, the program
 * name changed. Throws for anything else.
 */
export function composeV1(command: string): string[] {
  const words = command.trim().split(/\s+/);
  if (words[0] !== "docker" || words[1] !== "compose") {
    throw new Error(
      `Expected a "docker compose ..." command, got "${command}"`,
    );
  }
  return ["docker-compose", ...words.slice(2)];
}

/**
 * A Compose project of its own (`COMPOSE_PROJECT_NAME`), so a test never
 * touches anybody else's containers. On dispose its containers (one-off
 * `run` containers too), networks and built images are removed.
 */
export class ComposeProject implements AsyncDisposable {
  /** The project name. */
  readonly name: string;

  /** A project named `chatlab-test-PID`. */
  constructor() {
    this.name = `chatlab-test-${Deno.pid}`;
  }

  /** The environment that puts a `docker-compose` command in this project. */
  get env(): Record<string, string> {
    return { COMPOSE_PROJECT_NAME: this.name };
  }

  /** Removes everything the project made. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.removeContainers();
    await runOk("docker-compose", [
      "down",
      "--rmi",
      "local",
      "--volumes",
      "--remove-orphans",
    ], { env: this.env });
  }

  /** Removes the project's containers, running or not, one-off `run` ones too. */
  async removeContainers(): Promise<void> {
    const listed = await runOk("docker", [
      "ps",
      "--all",
      "--quiet",
      "--filter",
      `label=com.docker.compose.project=${this.name}`,
    ]);
    const containers = listed.stdout.split("\n").filter((id) => id !== "");
    if (containers.length > 0) {
      await runOk("docker", ["rm", "--force", ...containers]);
    }
  }
}
