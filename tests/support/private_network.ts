/**
 * A network of its own for running documented commands exactly as written:
 * a Linux network namespace with a "LAN" address such as 192.168.1.23. A server there listens on port 5555 without
 * meeting anything else on this machine, a client connects to 192.168.1.23
 * as a student would, and no packet ever leaves the namespace.
 *
 * @module
 */

import { isRoot } from "./isolation.ts";
import { RunningProcess, runToExit, type SpawnOptions } from "./process.ts";
import { needProgram } from "./requires.ts";

/** Why a private network cannot be made here, or `null`. */
export const PRIVATE_NETWORK_MISSING: string | null =
  needProgram("unshare", "util-linux") ??
    needProgram("nsenter", "util-linux") ??
    needProgram("ip", "iproute2") ??
    (isRoot() ? null : "making a network namespace needs root");

/**
 * A network namespace with an `eth0` holding `address`. `eth0` is one end of
 * a virtual cable whose other end is in the same namespace: nothing is
 * plugged in anywhere, but the address is this "computer's" own, as
 * `hostname -I` and `ip -4 addr` show.
 */
export class PrivateNetwork implements AsyncDisposable {
  readonly #holder: RunningProcess;
  readonly #pid: number;
  readonly #started: RunningProcess[] = [];

  private constructor(holder: RunningProcess, pid: number) {
    this.#holder = holder;
    this.#pid = pid;
  }

  /** Makes the namespace; `address` is the computer's "network address" there. */
  static async create(address: string): Promise<PrivateNetwork> {
    // The holder keeps the namespace alive; commands join it with nsenter.
    const holder = new RunningProcess("unshare", [
      "--net",
      "sh",
      "-c",
      `ip link set lo up && ip link add eth0 type veth peer name peer0 && ip addr add ${address}/24 dev eth0 && ip link set peer0 up && ip link set eth0 up && echo "ready $$" && exec sleep 3600`,
    ]);
    try {
      const match = await holder.stdout.waitForMatch(/^ready (\d+)$/);
      return new PrivateNetwork(holder, Number(match[1]));
    } catch (error) {
      await holder[Symbol.asyncDispose]();
      throw new Error(
        `Cannot make a private network: ${holder.stderr.text}`,
        { cause: error },
      );
    }
  }

  /**
   * Runs a shell command line inside the namespace, exactly as written. The
   * network stops it when disposed.
   */
  run(commandLine: string, options: SpawnOptions = {}): RunningProcess {
    const process = new RunningProcess(
      "nsenter",
      [`--net=/proc/${this.#pid}/ns/net`, "sh", "-c", commandLine],
      options,
    );
    this.#started.push(process);
    return process;
  }

  /**
   * Ends the namespace: kills every process still in it (a `deno task`
   * killed by a test could leave its `deno run` behind), then the holder.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const net = `/proc/${this.#pid}/ns/net`;
    await runToExit("sh", [
      "-c",
      `ns=$(readlink "$0") && for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] && [ "\${p#/proc/}" != "$1" ] && kill -9 "\${p#/proc/}" 2>/dev/null; done; true`,
      net,
      String(this.#pid),
    ]);
    for (const process of this.#started) await process[Symbol.asyncDispose]();
    await this.#holder[Symbol.asyncDispose]();
  }
}
