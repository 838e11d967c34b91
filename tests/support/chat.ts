/**
 * Helpers for end-to-end tests of chatlab's own scripts: a connected
 * server and client, and checks on what a user sees.
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

/**
 * Closes the process's stdin, waits for its end, checks that it printed no
 * stack trace, and returns its exit code and lines.
 */
export async function finishedCleanly(
  process: RunningProcess,
): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const status = await process.finish();
  assertNoStackTrace(process.stderr.text);
  assertNoStackTrace(process.stdout.text);
  return {
    code: status.code,
    stdout: process.stdout.lines,
    stderr: process.stderr.lines,
  };
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
