/**
 * Helpers for the room's fault, limit, security and soak tests: a room
 * server with its process id, what the kernel says about that process
 * (memory, open files), and checks on what the room said.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import {
  commandOutput,
  type RunningProcess,
  runScript,
  type ScriptOptions,
} from "./process.ts";
import { RawClient } from "./raw_client.ts";

/** A running `server.ts --room`. */
export interface RoomServer {
  /** The server process; its stdin is the operator's keyboard. */
  server: RunningProcess;
  /** The port it listens on. */
  port: number;
  /** Its process id, for {@linkcode residentKiB} and {@linkcode openFiles}. */
  pid: number;
}

/**
 * Starts `server.ts --room --port 0 args` and waits until the room is open
 * (the listener is bound before "Listening on" is printed).
 */
export async function startRoomServer(
  args: string[] = [],
  options: ScriptOptions = {},
): Promise<RoomServer> {
  const server = runScript(
    "server.ts",
    ["--room", "--port", "0", ...args],
    options,
  );
  try {
    const match = await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/);
    await server.stdout.waitForLineStarting("*** Room open as");
    return { server, port: Number(match[1]), pid: server.child.pid };
  } catch (error) {
    await server[Symbol.asyncDispose]();
    throw error;
  }
}

/**
 * The resident memory of process `pid`, in KiB (`VmRSS` in
 * `/proc/PID/status`). Deno wants --allow-all to read /proc, so `cat` reads it.
 */
export async function residentKiB(pid: number): Promise<number> {
  return await statusKiB(pid, "VmRSS");
}

/** The most resident memory process `pid` has had, in KiB (`VmHWM`). */
export async function peakResidentKiB(pid: number): Promise<number> {
  return await statusKiB(pid, "VmHWM");
}

async function statusKiB(pid: number, field: string): Promise<number> {
  const status = await commandOutput("cat", [`/proc/${pid}/status`]) ?? "";
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"));
  if (!match) throw new Error(`No ${field} for process ${pid}:\n${status}`);
  return Number(match[1]);
}

/** How many file descriptors process `pid` has open (`/proc/PID/fd`). */
export async function openFiles(pid: number): Promise<number> {
  const listing = await commandOutput("ls", ["-1", `/proc/${pid}/fd`]);
  if (listing === null) throw new Error(`Cannot list /proc/${pid}/fd`);
  return listing.split("\n").filter((line) => line !== "").length;
}

/** The texts `sender` said in the room, in the order they arrived. */
export function saidBy(lines: readonly string[], sender: string): string[] {
  const prefix = `<${sender}> `;
  return lines.filter((line) => line.startsWith(prefix)).map((line) =>
    line.slice(prefix.length)
  );
}

/** Asserts that `lines` hold exactly `expected` from `sender`, in order. */
export function assertSaidInOrder(
  lines: readonly string[],
  sender: string,
  expected: readonly string[],
): void {
  assertEquals(saidBy(lines, sender), expected);
}

/** `count` numbered lines: `PREFIX 0`, `PREFIX 1`, ... */
export function numberedLines(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${i}`);
}

/**
 * Asserts that the room still serves: `newcomer` joins, hears a line from
 * `talker` (a client already in the room, called `talkerName`), and answers.
 */
export async function assertRoomServes(
  port: number,
  talker: RawClient,
  talkerName: string,
  newcomer = "newcomer",
): Promise<void> {
  await using fresh = await RawClient.join(port, newcomer);
  await talker.waitForLine(`*** ${newcomer} joined`);
  await talker.send(`welcome, ${newcomer}`);
  await fresh.waitForLine(`<${talkerName}> welcome, ${newcomer}`);
  await fresh.send("thanks");
  await talker.waitForLine(`<${newcomer}> thanks`);
}
