/**
 * Two "computers" on one Linux machine: two network namespaces, each with its
 * own network stack, joined by a virtual cable (a veth pair). The client's
 * namespace knows the server by name through its own hosts file, as a
 * container on a Compose network knows a service.
 *
 * Needs root and `ip` (iproute2). Traffic never leaves the two namespaces.
 *
 * @module
 */

import {
  RunningProcess,
  runToExit,
  type SpawnOptions,
} from "../support/process.ts";

/** The two hosts of a lab. */
export type LabHost = "server" | "client";

/** The server host's address on the lab's private /24, used only inside its namespaces. */
export const SERVER_ADDRESS = "10.55.55.1";

/** The client host's address on the lab's private /24. */
export const CLIENT_ADDRESS = "10.55.55.2";

const PREFIX_LENGTH = 24;

/** Every lab namespace is named `chatlab-lab-PID-N-HOST`, so a stale one can be recognised. */
const NAME_PREFIX = "chatlab-lab-";
const STALE_NAME = /^chatlab-lab-(\d+)-/;

/** Where `ip netns exec NAME` finds files to put over `/etc` (here, `hosts`). */
const NETNS_ETC = "/etc/netns";

/** Each namespace's end of the cable, named as on a real computer. */
const INTERFACE = "eth0";

/** Options for {@linkcode LabNetwork.create}. */
export interface LabNetworkOptions {
  /**
   * The name the client host knows the server host by (Compose's service name).
   *
   * @default {"server"}
   */
  serverName?: string;
}

/** What a short command run in a lab host returned. */
export interface CommandResult {
  /** The exit code. */
  code: number;
  /** Everything printed on stdout. */
  stdout: string;
  /** Everything printed on stderr. */
  stderr: string;
}

let labsMade = 0;
let staleLabsRemoved: Promise<void> | undefined;

/** Two network namespaces joined by a veth pair; removed again on dispose. */
export class LabNetwork implements AsyncDisposable {
  /** The server host's namespace name. */
  readonly serverNamespace: string;
  /** The client host's namespace name. */
  readonly clientNamespace: string;
  #created: string[] = [];

  private constructor(id: string) {
    this.serverNamespace = `${NAME_PREFIX}${id}-server`;
    this.clientNamespace = `${NAME_PREFIX}${id}-client`;
  }

  /**
   * Builds a fresh lab; the first one also removes what a killed earlier run
   * left behind.
   * If any step fails, whatever was already built is removed before the error
   * is rethrown.
   */
  static async create(options: LabNetworkOptions = {}): Promise<LabNetwork> {
    staleLabsRemoved ??= removeStaleLabs();
    await staleLabsRemoved;
    const lab = new LabNetwork(`${Deno.pid}-${++labsMade}`);
    try {
      await lab.#build(options.serverName ?? "server");
    } catch (error) {
      await lab[Symbol.asyncDispose]();
      throw error;
    }
    return lab;
  }

  /** The namespace of one host. */
  namespaceOf(host: LabHost): string {
    return host === "server" ? this.serverNamespace : this.clientNamespace;
  }

  /** Starts `command args...` inside a host, stdin piped and output collected. */
  spawn(
    host: LabHost,
    command: string,
    args: string[],
    options: SpawnOptions = {},
  ): RunningProcess {
    return new RunningProcess("ip", [
      "netns",
      "exec",
      this.namespaceOf(host),
      command,
      ...args,
    ], options);
  }

  /** Starts `deno run PERMISSIONS SCRIPT ARGS...` inside a host. */
  runScript(
    host: LabHost,
    permissions: string[],
    script: string,
    args: string[],
  ): RunningProcess {
    return this.spawn(host, Deno.execPath(), [
      "run",
      ...permissions,
      script,
      ...args,
    ]);
  }

  /** Runs shell text inside a host with `sh -c`, this Deno first on the `PATH`. */
  shell(host: LabHost, text: string): RunningProcess {
    const denoDir = Deno.execPath().replace(/\/[^/]*$/, "");
    const path = Deno.env.get("PATH");
    return this.spawn(host, "sh", ["-c", text], {
      env: { PATH: path ? `${denoDir}:${path}` : denoDir },
    });
  }

  /** Runs a short command inside a host and returns how it ended. */
  async run(
    host: LabHost,
    command: string,
    args: string[],
  ): Promise<CommandResult> {
    return await runCommand("ip", [
      "netns",
      "exec",
      this.namespaceOf(host),
      command,
      ...args,
    ]);
  }

  /** Removes both namespaces (and with them the veth pair) and the hosts file. */
  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    for (const name of this.#created.reverse()) {
      try {
        await removeNamespace(name);
      } catch (error) {
        errors.push(error);
      }
    }
    this.#created = [];
    if (errors.length > 0) {
      throw new AggregateError(errors, "Cannot remove the lab network");
    }
  }

  async #build(serverName: string): Promise<void> {
    for (const name of [this.serverNamespace, this.clientNamespace]) {
      // Remembered first: even a half-made namespace is removed on failure.
      this.#created.push(name);
      await ip(["netns", "add", name]);
    }
    // Made straight inside the namespaces, so nothing ever appears on the host.
    await ip([
      "link",
      "add",
      INTERFACE,
      "netns",
      this.serverNamespace,
      "type",
      "veth",
      "peer",
      "name",
      INTERFACE,
      "netns",
      this.clientNamespace,
    ]);
    await this.#configure(this.serverNamespace, SERVER_ADDRESS);
    await this.#configure(this.clientNamespace, CLIENT_ADDRESS);
    await writeHosts(this.clientNamespace, { [serverName]: SERVER_ADDRESS });
  }

  async #configure(namespace: string, address: string): Promise<void> {
    await ip(["-n", namespace, "link", "set", "lo", "up"]);
    await ip([
      "-n",
      namespace,
      "addr",
      "add",
      `${address}/${PREFIX_LENGTH}`,
      "dev",
      INTERFACE,
    ]);
    await ip(["-n", namespace, "link", "set", INTERFACE, "up"]);
  }
}

/**
 * Why the lab cannot run here, or `null` when it can. Checks the permissions
 * of `deno task test:lab`, root, `ip`, and that a namespace can be made.
 */
export async function labSkipReason(): Promise<string | null> {
  const write = await Deno.permissions.query({
    name: "write",
    path: NETNS_ETC,
  });
  const uid = await Deno.permissions.query({ name: "sys", kind: "uid" });
  if (write.state !== "granted" || uid.state !== "granted") {
    return `it needs --allow-write=${NETNS_ETC} and --allow-sys=uid: run it with "deno task test:lab"`;
  }
  if (Deno.uid() !== 0) {
    return "it needs root, to create network namespaces";
  }
  try {
    await runCommand("ip", ["-V"]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return "it needs the ip command (apt-get install iproute2)";
    }
    throw error;
  }
  const probe = `${NAME_PREFIX}${Deno.pid}-probe`;
  const made = await runCommand("ip", ["netns", "add", probe]);
  await removeNamespace(probe);
  if (made.code !== 0) {
    return `it cannot create network namespaces here: ${made.stderr.trim()}`;
  }
  return null;
}

/**
 * Removes lab namespaces and hosts files whose test run is gone (killed
 * before it could clean up), ending any process still inside them. Run it
 * before this process makes its first lab: names with our own PID then come
 * from a dead run that had the same PID.
 */
export async function removeStaleLabs(): Promise<void> {
  const listed = await ip(["netns", "list"]);
  const namespaces = listed.stdout.split("\n").map((line) =>
    line.split(" ")[0]
  );
  const etcEntries: string[] = [];
  try {
    for await (const entry of Deno.readDir(NETNS_ETC)) {
      etcEntries.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const name of new Set([...namespaces, ...etcEntries])) {
    if (await isStale(name)) await removeNamespace(name);
  }
}

/** A lab name whose run is not alive (our own PID: see {@linkcode removeStaleLabs}). */
async function isStale(name: string): Promise<boolean> {
  const match = name.match(STALE_NAME);
  if (match === null) return false;
  const pid = Number(match[1]);
  return pid === Deno.pid || !await processExists(pid);
}

/**
 * Whether a process runs, by `kill -0` (sends nothing). Deno lets only
 * --allow-all read another process's /proc/PID.
 */
async function processExists(pid: number): Promise<boolean> {
  const probe = await runCommand("sh", ["-c", 'kill -0 "$1"', "sh", `${pid}`]);
  return probe.code === 0;
}

/** Ends what still runs inside, deletes the namespace, then its hosts file. */
async function removeNamespace(name: string): Promise<void> {
  const pids = await runCommand("ip", ["netns", "pids", name]);
  for (const pid of pids.stdout.split("\n").filter((line) => line !== "")) {
    try {
      Deno.kill(Number(pid), "SIGKILL");
    } catch {
      // It has exited meanwhile.
    }
  }
  const deleted = await runCommand("ip", ["netns", "delete", name]);
  if (deleted.code !== 0 && !/No such file/.test(deleted.stderr)) {
    throw new Error(`Cannot delete namespace "${name}": ${deleted.stderr}`);
  }
  await Deno.remove(`${NETNS_ETC}/${name}`, { recursive: true }).catch(
    (error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    },
  );
}

/** Writes `/etc/netns/NAMESPACE/hosts`, which `ip netns exec` shows as `/etc/hosts`. */
async function writeHosts(
  namespace: string,
  names: Record<string, string>,
): Promise<void> {
  const lines = [
    "127.0.0.1 localhost",
    "::1 localhost",
    ...Object.entries(names).map(([name, address]) => `${address} ${name}`),
  ];
  await Deno.mkdir(`${NETNS_ETC}/${namespace}`, { recursive: true });
  await Deno.writeTextFile(
    `${NETNS_ETC}/${namespace}/hosts`,
    lines.join("\n") + "\n",
  );
}

/** Runs `ip ARGS...` and throws with its message if it fails. */
async function ip(args: string[]): Promise<CommandResult> {
  const result = await runCommand("ip", args);
  if (result.code !== 0) {
    throw new Error(`ip ${args.join(" ")} failed: ${result.stderr.trim()}`);
  }
  return result;
}

async function runCommand(
  command: string,
  args: string[],
): Promise<CommandResult> {
  const { status, stdoutText, stderrText } = await runToExit(command, args);
  return { code: status.code, stdout: stdoutText, stderr: stderrText };
}
