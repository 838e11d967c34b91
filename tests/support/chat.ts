/**
 * Helpers for end-to-end tests of chatlab's own scripts: a connected
 * server and client, a run to completion, and checks on what a user sees.
 *
 * @module
 */

import { assertNotMatch } from "./assert.ts";
import { RunningProcess, runScript, startServer } from "./process.ts";

/** A `server.ts` and a `client.ts` connected to each other. */
export class ChatPair implements AsyncDisposable {
  /** The running `server.ts`. */
  readonly server: RunningProcess;
  /** The running `client.ts`. */
  readonly client: RunningProcess;

  /** Pairs two running processes. */
  constructor(server: RunningProcess, client: RunningProcess) {
    this.server = server;
    this.client = client;
  }

  /** Stops both processes if they still run. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.client[Symbol.asyncDispose]();
    await this.server[Symbol.asyncDispose]();
  }
}

/**
 * Starts `server.ts` on port 0 and `client.ts` connected to it, and waits
 * until both say they are connected.
 */
export async function startChat(
  serverArgs: string[] = [],
  clientArgs: string[] = [],
): Promise<ChatPair> {
  const { server, port } = await startServer(serverArgs);
  const client = runScript("client.ts", [
    "--port",
    String(port),
    ...clientArgs,
  ]);
  const pair = new ChatPair(server, client);
  try {
    await server.stdout.waitForMatch(/^Connected to 127\.0\.0\.1:\d+\./);
    await client.stdout.waitForMatch(/^Connected to 127\.0\.0\.1:\d+\./);
  } catch (error) {
    await pair[Symbol.asyncDispose]();
    throw error;
  }
  return pair;
}

/** How a process ended, with everything it printed. */
export interface Outcome {
  /** The exit status. */
  status: Deno.CommandStatus;
  /** Lines printed on stdout. */
  stdout: string[];
  /** Lines printed on stderr. */
  stderr: string[];
}

/** Runs a command with stdin at its end (not a terminal) and collects what it printed. */
export async function runToExit(
  command: string,
  args: string[],
): Promise<Outcome> {
  await using process = new RunningProcess(command, args);
  return await outcomeOf(process);
}

async function outcomeOf(process: RunningProcess): Promise<Outcome> {
  const status = await process.finish();
  return {
    status,
    stdout: process.stdout.lines,
    stderr: process.stderr.lines,
  };
}

/** Runs one of chatlab's scripts, as {@linkcode runScript} starts it, to completion (stdin empty). */
export async function runScriptToExit(
  script: "server.ts" | "client.ts",
  args: string[],
): Promise<Outcome> {
  await using process = runScript(script, args);
  return await outcomeOf(process);
}

/** Fails if `text` looks like an uncaught error: a stack frame or "Uncaught". */
export function assertNoStackTrace(text: string): void {
  assertNotMatch(text, /^\s+at /m, `Stack trace in output:\n${text}`);
  assertNotMatch(text, /Uncaught/, `Uncaught error in output:\n${text}`);
}

/** The `Received: ...` lines in some output, in order. */
export function receivedLines(lines: string[]): string[] {
  return lines.filter((line) => line.startsWith("Received: "));
}
