/**
 * Peers that misbehave on purpose, as real processes on loopback: a Python
 * socket that can bind any 127.x.y.z source address and end with a reset
 * (RST), and a crowd that opens hundreds of connections at once.
 *
 * @module
 */

import { RunningProcess } from "./process.ts";

/** Options for {@linkcode startPuppet}. */
export interface PuppetOptions {
  /**
   * The address the puppet connects to.
   *
   * @default {"127.0.0.1"}
   */
  host?: string;
  /**
   * The local address it connects from, e.g. `127.0.0.2`, to look like
   * another computer to the server's per-address limit.
   *
   * @default {chosen by the kernel}
   */
  source?: string;
}

/**
 * A TCP connection driven line by line from a test. It prints `Connected`,
 * then `Got: LINE` for every line it receives and `Ended` (or
 * `Ended: ERROR`) when the server closes. Commands on its stdin (see
 * {@linkcode Puppet}): `send HEX` sends those bytes and prints `Sent N`
 * (N counting from 1), `reset` closes the
 * socket with `SO_LINGER` 0 so the kernel sends a reset instead of a normal
 * end, then exits.
 */
export class Puppet implements AsyncDisposable {
  /** The Python process. */
  readonly process: RunningProcess;
  #sends = 0;

  private constructor(process: RunningProcess) {
    this.process = process;
  }

  /** Connects to `port` and waits until the connection is up. */
  static async connect(
    port: number,
    options: PuppetOptions = {},
  ): Promise<Puppet> {
    const puppet = new Puppet(
      new RunningProcess("python3", [
        "-c",
        PUPPET,
        options.host ?? "127.0.0.1",
        String(port),
        options.source ?? "",
      ]),
    );
    try {
      await puppet.process.stdout.waitForMatch(/^Connected$/);
    } catch (error) {
      await puppet[Symbol.asyncDispose]();
      throw error;
    }
    return puppet;
  }

  /**
   * Sends bytes (a string as UTF-8) exactly as given; resolves once they are
   * in the kernel's hands (the puppet prints `Sent N`).
   */
  async sendRaw(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    await this.process.writeLines(`send ${toHex(bytes)}`);
    await this.process.stdout.waitForMatch(
      new RegExp(`^Sent ${++this.#sends}$`),
    );
  }

  /** Sends each line followed by `\n`. */
  async send(...lines: string[]): Promise<void> {
    await this.sendRaw(lines.map((line) => line + "\n").join(""));
  }

  /** Waits for a received line that is exactly `line`; returns it. */
  async waitForLine(line: string): Promise<string> {
    await this.process.stdout.waitForLine(`Got: ${line}`);
    return line;
  }

  /** Waits for a received line that starts with `prefix`; returns it whole. */
  async waitForLineStarting(prefix: string): Promise<string> {
    const got = await this.process.stdout.waitForLineStarting(`Got: ${prefix}`);
    return got.slice("Got: ".length);
  }

  /** Waits until the server has closed the connection; returns how it ended. */
  async waitForEnd(): Promise<string> {
    const match = await this.process.stdout.waitForMatch(/^Ended/);
    return match.input!;
  }

  /** Resets the connection (RST) and waits for the puppet to exit. */
  async reset(): Promise<void> {
    await this.process.writeLines("reset");
    await this.process.stdout.waitForMatch(/^Reset$/);
    await this.process.finish();
  }

  /** Kills the puppet if it still runs. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.process[Symbol.asyncDispose]();
  }
}

/** What {@linkcode runCrowd} saw. */
export interface CrowdSummary {
  /** How many connections got each first line, by that line. */
  firstLines: Record<string, number>;
  /** How many connections the server closed after their first line. */
  closed: number;
  /** How many connections ended, or failed, before any line came. */
  lost: number;
}

/** Options for {@linkcode startCrowd}. */
export interface CrowdOptions {
  /** How many connections to open at once. */
  count: number;
  /**
   * Connections per source address: the crowd uses `127.0.1.1`,
   * `127.0.1.2`, ... so that each address holds at most this many.
   *
   * @default {count (all from 127.0.1.1)}
   */
  perAddress?: number;
}

/** A crowd of connections, held open until the test lets them go. */
export class Crowd implements AsyncDisposable {
  /** The Python process. */
  readonly process: RunningProcess;

  /** Wraps a started crowd process. */
  constructor(process: RunningProcess) {
    this.process = process;
  }

  /**
   * Waits until every connection has its first line (and, when that line
   * is `*** Disconnected: ...`, has been closed), and returns the counts.
   */
  async summary(): Promise<CrowdSummary> {
    const match = await this.process.stdout.waitForMatch(/^Summary: (.*)$/);
    return JSON.parse(match[1]) as CrowdSummary;
  }

  /** Closes every connection and waits for the crowd to exit. */
  async release(): Promise<void> {
    await this.process.writeLines("close");
    await this.process.stdout.waitForMatch(/^Closed$/);
    await this.process.finish();
  }

  /** Kills the crowd if it still runs. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.process[Symbol.asyncDispose]();
  }
}

/**
 * Opens `count` connections to 127.0.0.1:`port` as fast as one process can,
 * from source addresses 127.0.1.1 and up, and reads each one's first line.
 */
export function startCrowd(port: number, options: CrowdOptions): Crowd {
  return new Crowd(
    new RunningProcess("python3", [
      "-c",
      CROWD,
      String(port),
      String(options.count),
      String(options.perAddress ?? options.count),
    ]),
  );
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

const PUPPET = `
import os, socket, struct, sys, threading
host, port, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
conn = socket.socket(family, socket.SOCK_STREAM)
if source:
    conn.bind((source, 0))
conn.connect((host, port))
output = threading.Lock()

def say(text):
    # One whole line at a time: two threads print.
    with output:
        sys.stdout.write(text + "\\n")
        sys.stdout.flush()

say("Connected")

def receive():
    pending = b""
    ending = "Ended"
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\\n")
            for line in lines:
                say("Got: " + line.decode(errors="replace"))
    except OSError as error:
        ending = "Ended: " + type(error).__name__
    say(ending)

threading.Thread(target=receive, daemon=True).start()
sends = 0
for command in sys.stdin:
    verb, _, argument = command.strip().partition(" ")
    if verb == "send":
        conn.sendall(bytes.fromhex(argument))
        sends += 1
        say("Sent %d" % sends)
    elif verb == "reset":
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        say("Reset")
        os._exit(0)
`;

const CROWD = `
import json, resource, selectors, socket, sys, time
port, count, per_address = (int(arg) for arg in sys.argv[1:4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
selector = selectors.DefaultSelector()
states = []
for i in range(count):
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    group = i // per_address
    conn.bind(("127.0.%d.%d" % (1 + group // 250, 1 + group % 250), 0))
    conn.setblocking(False)
    conn.connect_ex(("127.0.0.1", port))
    state = {"conn": conn, "buffer": b"", "first": None, "ended": False}
    states.append(state)
    selector.register(conn, selectors.EVENT_READ, state)

def finished(state):
    if state["ended"]:
        return True
    first = state["first"]
    return first is not None and not first.startswith("*** Disconnected:")

deadline = time.monotonic() + 60
while not all(finished(state) for state in states) and time.monotonic() < deadline:
    for key, _ in selector.select(timeout=1):
        state = key.data
        try:
            chunk = state["conn"].recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            state["ended"] = True
            selector.unregister(state["conn"])
            continue
        state["buffer"] += chunk
        if state["first"] is None and b"\\n" in state["buffer"]:
            state["first"] = state["buffer"].split(b"\\n")[0].decode(errors="replace")

first_lines = {}
for state in states:
    key = state["first"] if state["first"] is not None else "(none)"
    first_lines[key] = first_lines.get(key, 0) + 1
print("Summary: " + json.dumps({
    "firstLines": first_lines,
    "closed": sum(1 for s in states if s["ended"] and s["first"] is not None),
    "lost": sum(1 for s in states if s["first"] is None),
}), flush=True)
for command in sys.stdin:
    if command.strip() == "close":
        break
for state in states:
    state["conn"].close()
print("Closed", flush=True)
`;
