/**
 * The other programs chatlab must talk to, started as real processes on
 * 127.0.0.1: the lesson's Python programs (`tests/peers/`) and `nc`
 * (netcat-openbsd). Listeners use port 0 and report the port they got, so
 * no test guesses a free port.
 *
 * @module
 */

import { RunningProcess } from "./process.ts";

/** The address every peer uses: this computer only. */
export const LOOPBACK = "127.0.0.1";

/** A peer that listens, with the port it got. */
export interface ListeningPeer {
  /** The running peer. */
  peer: RunningProcess;
  /** The port it listens on. */
  port: number;
}

/**
 * Starts the lesson's server (`lesson_server.py`) on port 0 and waits for
 * the `Listening on PORT` line it prints once bound.
 */
export async function startLessonServer(): Promise<ListeningPeer> {
  return await startListeningPython([
    "tests/peers/lesson_server.py",
    LOOPBACK,
    "0",
  ]);
}

/** Starts the lesson's client (`lesson_client.py`) connecting to `port`. */
export function startLessonClient(port: number): RunningProcess {
  return new RunningProcess("python3", [
    "tests/peers/lesson_client.py",
    LOOPBACK,
    String(port),
  ]);
}

/**
 * A peer that vanishes abruptly, as a program that dies with bytes unread
 * does (the lesson's programs when their user presses Ctrl+C): its kernel
 * sends a reset (RST) instead of a normal end. It obeys lines on its stdin:
 * `read` receives up to 1024 bytes and prints `Got: <text>`; `reset` closes
 * the connection with a reset (`SO_LINGER` 0) and prints `Reset`.
 * This one listens on port 0 and prints `Listening on PORT`.
 */
export async function startResettingServer(): Promise<ListeningPeer> {
  return await startListeningPython(["-c", RESETTING_SERVER]);
}

/** Starts `python3 args...` and waits for the `Listening on PORT` it prints once bound. */
async function startListeningPython(args: string[]): Promise<ListeningPeer> {
  const peer = new RunningProcess("python3", args);
  const match = await waitOrDispose(
    peer,
    peer.stdout.waitForMatch(/^Listening on (\d+)$/),
  );
  return { peer, port: Number(match[1]) };
}

/** Like {@linkcode startResettingServer}, but connects to `port` and prints `Connected`. */
export function startResettingClient(port: number): RunningProcess {
  return new RunningProcess("python3", [
    "-c",
    RESETTING_CLIENT,
    LOOPBACK,
    String(port),
  ]);
}

const OBEY_STDIN = `
for command in sys.stdin:
    if command.strip() == "read":
        print("Got:", conn.recv(1024).decode().rstrip("\\n"), flush=True)
    elif command.strip() == "reset":
        linger = struct.pack("ii", 1, 0)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        conn.close()
        print("Reset", flush=True)
`;

const RESETTING_SERVER = `
import socket, struct, sys
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("${LOOPBACK}", 0))
listener.listen(1)
print("Listening on", listener.getsockname()[1], flush=True)
conn, address = listener.accept()
${OBEY_STDIN}`;

const RESETTING_CLIENT = `
import socket, struct, sys
conn = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print("Connected", flush=True)
${OBEY_STDIN}`;

/** Options for {@linkcode startNcListener} and {@linkcode startNcClient}. */
export interface NcOptions {
  /**
   * Send `\r\n` instead of `\n` at each line end (`nc -C`).
   *
   * @default {false}
   */
  crlf?: boolean;
}

/**
 * Starts `nc -l` on port 0. netcat-openbsd with `-v` prints
 * `Listening on 127.0.0.1 PORT` on stderr, so there is no race for a port;
 * `-N` shuts the socket down for writing when its stdin ends.
 */
export async function startNcListener(
  options: NcOptions = {},
): Promise<ListeningPeer> {
  const peer = new RunningProcess("nc", [
    ...ncFlags(options),
    "-v",
    "-l",
    LOOPBACK,
    "0",
  ]);
  const match = await waitOrDispose(
    peer,
    peer.stderr.waitForMatch(/^Listening on 127\.0\.0\.1 (\d+)$/),
  );
  return { peer, port: Number(match[1]) };
}

/** Starts `nc 127.0.0.1 PORT`, which shuts down its sending side at end of stdin. */
export function startNcClient(
  port: number,
  options: NcOptions = {},
): RunningProcess {
  return new RunningProcess("nc", [
    ...ncFlags(options),
    LOOPBACK,
    String(port),
  ]);
}

/** `-n`: no DNS lookups; `-N`: shutdown(SHUT_WR) at end of stdin. */
function ncFlags(options: NcOptions): string[] {
  return options.crlf ? ["-n", "-N", "-C"] : ["-n", "-N"];
}

/** Awaits `promise`; if it fails, stops `peer` first so nothing leaks. */
async function waitOrDispose<T>(
  peer: RunningProcess,
  promise: Promise<T>,
): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    await peer[Symbol.asyncDispose]();
    throw error;
  }
}
