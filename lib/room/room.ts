/**
 * A chat room for a whole class: many clients, one server, every line
 * attributed by the server. The wire format is written down in PROTOCOL.md.
 *
 * Speed matters here (every line goes to everyone), so each line is encoded
 * once per broadcast and the same bytes are queued for every receiver; each
 * receiver's queue is bounded and written in batches (see `outbox.ts`), so
 * one slow reader never holds up the room.
 *
 * @module
 */

import {
  type Frame,
  LineSplitter,
  MAX_LINE_BYTES,
  MAX_UNTERMINATED_BYTES,
} from "../wire/line_splitter.ts";
import { READ_SIZE } from "../wire/line_reader.ts";
import { MAX_NAME_LENGTH, nameKey, nameProblem } from "../wire/names.ts";
import { MAX_QUEUED_BYTES, Outbox, QueueLedger } from "./outbox.ts";
import { setNoDelay } from "../cli/network.ts";
import { lineRateLimitOptions, RateLimit } from "./rate_limit.ts";
import { passwordMatches, WRONG_PASSWORD_DELAY_MS } from "./password.ts";
import { sanitize } from "../wire/sanitize.ts";

/** How long a leaving client gets to take its last lines before it is cut off. */
export const CLOSE_GRACE_MS = 2000;

/**
 * Reading pauses while the room's clients are, on average, more than half
 * of this behind (each counted for at most this much, and never more than
 * half its queue limit): a burst waits instead of overflowing every queue.
 */
export const CATCH_UP_BYTES_PER_CLIENT = 32 * 1024;

/** The longest a pause lasts; then reading goes on and stalled queues overflow. */
export const MAX_PAUSE_MS = 1000;

/** How many past messages someone who joins is shown. */
export const HISTORY_SIZE = 20;

/** Options for {@linkcode Room}. */
export interface RoomOptions {
  /**
   * The server operator's name in the room (reserved for them).
   *
   * @default {"host"}
   */
  hostName?: string;
  /**
   * Where the operator sees the room: receives safe, `\n`-terminated lines.
   *
   * @default {discards them}
   */
  showToHost?: (bytes: Uint8Array) => void;
  /**
   * The longest line accepted, in bytes.
   *
   * @default {1024}
   */
  maxLineBytes?: number;
  /**
   * Bytes a client may send without any line end before it is dropped.
   *
   * @default {16384}
   */
  maxUnterminatedBytes?: number;
  /**
   * Bytes that may wait for one client before it is dropped as stalled.
   *
   * @default {262144}
   */
  maxQueuedBytes?: number;
  /**
   * Clients in the room at once, named or not.
   *
   * @default {100}
   */
  maxClients?: number;
  /**
   * Clients from one address at once.
   *
   * @default {10}
   */
  maxClientsPerAddress?: number;
  /**
   * Lines a client may send at once, and lines per second after that;
   * `null` turns the flood guard off.
   *
   * @default {{ burstLines: 40, linesPerSecond: 5 }}
   */
  rateLimit?: { burstLines: number; linesPerSecond: number } | null;
  /**
   * Milliseconds a new client has to choose a name.
   *
   * @default {60000}
   */
  nameTimeoutMs?: number;
  /**
   * Milliseconds of silence after which a client is dropped; 0 never drops.
   *
   * @default {3600000}
   */
  idleTimeoutMs?: number;
  /**
   * How many past messages a newcomer is shown.
   *
   * @default {20}
   */
  historySize?: number;
  /**
   * A passphrase a client must send before its name.
   *
   * @default {undefined (no passphrase)}
   */
  password?: string;
}

/** Someone in the room: a client over the network, or the operator. */
interface Member {
  name: string;
  deliver(bytes: Uint8Array): void;
}

const encoder = new TextEncoder();

/** A room of named clients that relays each line to everyone else. */
export class Room {
  readonly #hostName: string;
  readonly #host: Member;
  readonly #maxLineBytes: number;
  readonly #maxUnterminatedBytes: number;
  readonly #maxQueuedBytes: number;
  readonly #maxClients: number;
  readonly #maxClientsPerAddress: number;
  readonly #rateLimit: RoomOptions["rateLimit"];
  readonly #nameTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #historySize: number;
  readonly #password: string | undefined;
  /** Everyone who chose a name, by {@linkcode nameKey}; the host included. */
  readonly #members = new Map<string, Member>();
  /** Every open connection, named or not. */
  readonly #clients = new Set<RemoteClient>();
  readonly #perAddress = new Map<string, number>();
  readonly #history: Uint8Array[] = [];
  /** Bytes queued for all clients together (see {@linkcode CATCH_UP_BYTES_PER_CLIENT}). */
  readonly #ledger: QueueLedger;
  readonly #listeners = new Set<Deno.Listener>();
  #sweeper: ReturnType<typeof setInterval> | undefined;

  /** Makes an empty room with the operator in it. */
  constructor(options: RoomOptions = {}) {
    this.#hostName = options.hostName ?? "host";
    const problem = nameProblem(this.#hostName);
    if (problem) throw new RangeError(`Invalid host name: ${problem}`);
    this.#host = {
      name: this.#hostName,
      deliver: options.showToHost ?? (() => {}),
    };
    this.#members.set(nameKey(this.#hostName), this.#host);
    this.#maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.#maxUnterminatedBytes = options.maxUnterminatedBytes ??
      MAX_UNTERMINATED_BYTES;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
    this.#ledger = new QueueLedger(
      Math.min(CATCH_UP_BYTES_PER_CLIENT, this.#maxQueuedBytes / 2),
    );
    this.#maxClients = options.maxClients ?? 100;
    this.#maxClientsPerAddress = options.maxClientsPerAddress ?? 10;
    this.#rateLimit = options.rateLimit === undefined
      ? { burstLines: 40, linesPerSecond: 5 }
      : options.rateLimit;
    this.#nameTimeoutMs = options.nameTimeoutMs ?? 60_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 3_600_000;
    this.#historySize = options.historySize ?? HISTORY_SIZE;
    this.#password = options.password;
  }

  /** Names in the room, the operator first. */
  get names(): string[] {
    return [...this.#members.values()].map((member) => member.name);
  }

  /** Open connections, named or not. */
  get connectionCount(): number {
    return this.#clients.size;
  }

  /** Accepts clients from `listener` until it is closed. */
  async serve(listener: Deno.Listener): Promise<void> {
    this.#listeners.add(listener);
    this.#sweeper ??= setInterval(() => this.#sweep(), 1000);
    try {
      while (true) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch (error) {
          if (error instanceof Deno.errors.BadResource) return;
          if (error instanceof Deno.errors.Interrupted) return;
          // Out of file descriptors and the like: wait, then keep serving.
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        this.#admit(conn);
      }
    } finally {
      this.#listeners.delete(listener);
    }
  }

  /** What the operator types: a message or a command, as a client's line. */
  hostSays(text: string): void {
    this.#onLine(this.#host, text);
  }

  /** Tells everyone the server is stopping, then closes every connection. */
  async close(reason = "the server is shutting down"): Promise<void> {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    for (const listener of this.#listeners) listener.close();
    const clients = [...this.#clients];
    await Promise.all(clients.map((client) => client.disconnect(reason)));
  }

  #admit(conn: Deno.Conn): void {
    const address = (conn.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    const client = new RemoteClient(
      conn,
      address,
      { maxQueuedBytes: this.#maxQueuedBytes, ledger: this.#ledger },
      () => this.#drop(client, "not reading messages fast enough"),
      () => this.#leave(client, "connection lost"),
    );
    client.admitted = this.#password === undefined;
    this.#clients.add(client);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    if (this.#clients.size > this.#maxClients) {
      client.disconnect(
        `the server is full (${
          count(this.#maxClients, "person", "people")
        }); try again later`,
      );
    } else if (this.#perAddress.get(address)! > this.#maxClientsPerAddress) {
      client.disconnect(
        `too many connections from ${address} (the limit is ${this.#maxClientsPerAddress})`,
      );
    } else if (this.#password !== undefined) {
      client.deliver(notice(PASSWORD_WELCOME));
    } else {
      client.deliver(notice(NAME_WELCOME));
    }
    this.#readFrom(client).finally(() => this.#forget(client));
  }

  async #readFrom(client: RemoteClient): Promise<void> {
    const splitter = new LineSplitter({ maxLineBytes: this.#maxLineBytes });
    const buffer = new Uint8Array(READ_SIZE);
    const limit = this.#rateLimit ? this.#makeRateLimit() : null;
    try {
      while (!client.closed) {
        const count = await client.conn.read(buffer);
        if (count === null) break;
        // Checked after the read: reads already under way all finish in
        // one burst, so the check must come before their lines are relayed.
        const pause = this.#catchingUp();
        if (pause) await pause;
        client.lastHeard = performance.now();
        for (const frame of splitter.push(buffer.subarray(0, count))) {
          if (client.closed) break;
          this.#onFrame(client, frame, limit);
        }
        if (splitter.bytesWithoutLineEnd > this.#maxUnterminatedBytes) {
          this.#drop(
            client,
            `sent more than ${this.#maxUnterminatedBytes} bytes without a line end`,
          );
        }
      }
      // The client finished sending (end of stream): a last unterminated line still counts.
      const last = client.closed ? null : splitter.flush();
      if (last) this.#onFrame(client, last, limit);
      if (!client.closed) this.#leave(client, null);
    } catch {
      // A reset or an abrupt close: the client is simply gone.
      if (!client.closed) this.#leave(client, "connection lost");
    }
  }

  /**
   * Resolves at once unless the room has queued far more than its receivers
   * have taken: then relaying new lines waits until they catch up, so a
   * burst from many senders is slowed down instead of overflowing every
   * queue. A few stalled clients never pause the room (each counts for at
   * most a busy client's share), and no pause lasts longer than
   * {@linkcode MAX_PAUSE_MS}.
   */
  #catchingUp(): Promise<void> | void {
    const highWater = this.#clients.size * this.#ledger.perOutboxCap / 2;
    if (this.#ledger.total <= highWater) return;
    return this.#ledger.waitUntilAtMost(highWater / 2, MAX_PAUSE_MS);
  }

  #makeRateLimit(): RateLimit {
    return new RateLimit(
      lineRateLimitOptions(this.#rateLimit!, this.#maxLineBytes),
    );
  }

  #onFrame(client: RemoteClient, frame: Frame, limit: RateLimit | null): void {
    if (frame.kind === "oversize") {
      client.deliver(
        errorLine(
          `your line was ${frame.bytes} bytes; the limit is ${this.#maxLineBytes} bytes, so it was not sent`,
        ),
      );
      return;
    }
    if (!client.admitted) {
      this.#checkPassword(client, frame.text);
      return;
    }
    if (client.name === "") {
      this.#chooseName(client, frame.text);
      return;
    }
    if (limit && !limit.take(utf8Length(frame.text))) {
      client.throttledLines++;
      if (client.throttledLines === 1) {
        client.deliver(
          errorLine(
            "you are sending too fast; slow down (lines are being dropped)",
          ),
        );
      } else if (client.throttledLines > 2 * this.#rateLimit!.burstLines) {
        this.#drop(client, "flooding (too many lines too fast)");
      }
      return;
    }
    client.throttledLines = 0;
    this.#onLine(client, frame.text);
  }

  /** The first line, in a room with a passphrase; one guess per connection. */
  #checkPassword(client: RemoteClient, guess: string): void {
    if (client.passwordRefused) return;
    if (passwordMatches(guess, this.#password!)) {
      client.admitted = true;
      client.deliver(notice(`Password accepted. ${NAME_WELCOME}`));
      return;
    }
    // Lines sent meanwhile are ignored; the answer comes only after a delay.
    client.passwordRefused = true;
    setTimeout(
      () => this.#drop(client, "wrong password"),
      WRONG_PASSWORD_DELAY_MS,
    );
  }

  #chooseName(client: RemoteClient, text: string): void {
    const name = text.trim();
    const problem = nameProblem(name) ??
      (this.#members.has(nameKey(name)) ? `name "${name}" is taken` : null);
    if (problem) {
      client.deliver(errorLine(`${capitalize(problem)}; type another name`));
      return;
    }
    client.name = name;
    this.#members.set(nameKey(name), client);
    client.deliver(
      notice(`Hello ${name}! ${this.#whoText()}. Type /help for commands.`),
    );
    if (this.#history.length > 0) {
      client.deliver(notice("Last messages:"));
      for (const line of this.#history) client.deliver(line);
      client.deliver(notice("End of last messages."));
    }
    this.#broadcast(notice(`${name} joined`), client);
  }

  #onLine(member: Member, text: string): void {
    if (text.startsWith("/") && !text.startsWith("//")) {
      this.#command(member, text);
      return;
    }
    const message = text.startsWith("//") ? text.slice(1) : text;
    this.#say(member, chatLine(member.name, message));
  }

  #command(member: Member, text: string): void {
    const [command, ...words] = text.split(" ");
    const rest = text.slice(command.length + 1);
    switch (command.toLowerCase()) {
      case "/help":
        for (const line of HELP_LINES) member.deliver(notice(line));
        return;
      case "/who":
        member.deliver(notice(this.#whoText()));
        return;
      case "/me":
        if (rest.trim() === "") {
          return member.deliver(errorLine("usage: /me ACTION"));
        }
        this.#say(member, actionLine(member.name, rest));
        return;
      case "/msg":
        this.#privateMessage(
          member,
          words[0] ?? "",
          text.slice(command.length + 1 + (words[0]?.length ?? 0) + 1),
        );
        return;
      case "/nick":
        this.#rename(member, rest.trim());
        return;
      case "/quit":
        if (member === this.#host) {
          return member.deliver(errorLine("to stop the server, press Ctrl+C"));
        }
        this.#leave(member as RemoteClient, rest.trim() || null);
        return;
      default:
        member.deliver(
          errorLine(
            `unknown command "${sanitize(command.slice(0, 32))}"; type /help`,
          ),
        );
    }
  }

  #say(member: Member, line: Uint8Array): void {
    this.#history.push(line);
    if (this.#history.length > this.#historySize) this.#history.shift();
    this.#broadcast(line, member);
  }

  #privateMessage(from: Member, toName: string, text: string): void {
    const to = this.#members.get(nameKey(toName));
    if (toName === "" || text.trim() === "") {
      from.deliver(errorLine("usage: /msg NAME TEXT"));
    } else if (!to) {
      from.deliver(
        errorLine(
          `nobody called "${sanitize(toName.slice(0, 32))}" is here; type /who`,
        ),
      );
    } else {
      const safe = sanitize(text);
      to.deliver(encoder.encode(`*${from.name}* ${safe}\n`));
      from.deliver(encoder.encode(`-> *${to.name}* ${safe}\n`));
    }
  }

  #rename(member: Member, newName: string): void {
    const problem = nameProblem(newName);
    const owner = this.#members.get(nameKey(newName));
    if (problem) return member.deliver(errorLine(`${capitalize(problem)}`));
    if (owner && owner !== member) {
      return member.deliver(errorLine(`name "${newName}" is taken`));
    }
    if (member === this.#host) {
      return member.deliver(
        errorLine("the host's name is set with server.ts --name"),
      );
    }
    const oldName = member.name;
    this.#members.delete(nameKey(oldName));
    member.name = newName;
    this.#members.set(nameKey(newName), member);
    this.#broadcast(notice(`${oldName} is now known as ${newName}`), null);
  }

  #whoText(): string {
    const names = this.names;
    return `In the room (${names.length}): ${names.join(", ")}`;
  }

  /** Sends `line` to every member but `except`; the same bytes for all. */
  #broadcast(line: Uint8Array, except: Member | null): void {
    for (const member of this.#members.values()) {
      if (member !== except) member.deliver(line);
    }
  }

  #leave(client: RemoteClient, reason: string | null): void {
    if (client.closed) return;
    client.closed = true;
    this.#announceLeave(client, reason);
    client.closeGently();
  }

  #drop(client: RemoteClient, reason: string): void {
    if (client.closed) return;
    this.#announceLeave(client, reason);
    client.disconnect(reason);
  }

  #announceLeave(client: RemoteClient, reason: string | null): void {
    if (
      client.name === "" || this.#members.get(nameKey(client.name)) !== client
    ) return;
    this.#members.delete(nameKey(client.name));
    const why = reason ? ` (${sanitize(reason)})` : "";
    this.#broadcast(notice(`${client.name} left${why}`), client);
  }

  #forget(client: RemoteClient): void {
    if (!client.closed) this.#leave(client, null);
    if (!this.#clients.delete(client)) return;
    const left = (this.#perAddress.get(client.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(client.address, left);
    else this.#perAddress.delete(client.address);
  }

  /** Once a second: drop clients who never chose a name, or went silent. */
  #sweep(): void {
    const now = performance.now();
    for (const client of this.#clients) {
      if (client.closed) continue;
      const silentMs = now - client.lastHeard;
      if (
        client.name === "" && now - client.connectedAt > this.#nameTimeoutMs
      ) {
        this.#drop(
          client,
          `no name was chosen within ${seconds(this.#nameTimeoutMs)}`,
        );
      } else if (this.#idleTimeoutMs > 0 && silentMs > this.#idleTimeoutMs) {
        this.#drop(
          client,
          `silent for more than ${seconds(this.#idleTimeoutMs)}`,
        );
      }
    }
  }
}

/** One connection to the room and what the room knows of it. */
class RemoteClient implements Member {
  readonly conn: Deno.Conn;
  readonly address: string;
  readonly outbox: Outbox;
  readonly connectedAt = performance.now();
  /** Empty until the client has chosen a name. */
  name = "";
  /** Whether the client got past the passphrase (or the room has none). */
  admitted = false;
  /** Whether its passphrase was wrong (it is dropped after a delay). */
  passwordRefused = false;
  lastHeard = this.connectedAt;
  throttledLines = 0;
  closed = false;

  constructor(
    conn: Deno.Conn,
    address: string,
    queue: { maxQueuedBytes: number; ledger: QueueLedger },
    onStalled: () => void,
    onLost: () => void,
  ) {
    this.conn = conn;
    this.address = address;
    this.outbox = new Outbox(conn, {
      ...queue,
      onOverflow: onStalled,
      // The room must hear of it: the read loop ends quietly once closed.
      onWriteError: () => {
        onLost();
        this.#closeNow();
      },
    });
    setNoDelay(conn);
  }

  deliver(bytes: Uint8Array): void {
    this.outbox.send(bytes);
  }

  /** Sends a last line saying why, then closes. */
  async disconnect(reason: string): Promise<void> {
    this.closed = true;
    // A stalled client's queue is full: the reason goes out only if it fits.
    this.outbox.send(encoder.encode(`*** Disconnected: ${sanitize(reason)}\n`));
    await this.closeGently();
  }

  /**
   * Writes what is queued, then closes; a client that does not take its
   * last bytes within {@linkcode CLOSE_GRACE_MS} is closed anyway.
   */
  async closeGently(): Promise<void> {
    this.closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([this.outbox.close(), grace]);
    clearTimeout(timer);
    this.#closeNow();
  }

  #closeNow(): void {
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

const NAME_WELCOME =
  `Welcome to the chatlab room. Type your name and press Enter (letters, digits, _ and -, up to ${MAX_NAME_LENGTH}).`;
const PASSWORD_WELCOME =
  "Welcome to the chatlab room. This room needs a password: type it and press Enter.";

const HELP_LINES = [
  "Commands:",
  "  /who              who is in the room",
  "  /me ACTION        say what you are doing (* you ACTION)",
  "  /msg NAME TEXT    a private message to NAME",
  "  /nick NEW         change your name",
  "  /quit [REASON]    leave the room",
  "  /help             this list",
  "  //TEXT            send a message that starts with /",
];

function chatLine(name: string, text: string): Uint8Array {
  return encoder.encode(`<${name}> ${sanitize(text)}\n`);
}

function actionLine(name: string, action: string): Uint8Array {
  return encoder.encode(`* ${name} ${sanitize(action)}\n`);
}

function notice(text: string): Uint8Array {
  return encoder.encode(`*** ${text}\n`);
}

function errorLine(text: string): Uint8Array {
  return notice(`Error: ${capitalize(text)}`);
}

/** How many bytes `text` takes in UTF-8, counted without encoding it. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // One more byte from U+0080, two from U+0800; a surrogate pair (two
    // units) is four bytes.
    if (unit >= 0x80) bytes += unit >= 0x800 && !isSurrogate(unit) ? 2 : 1;
  }
  return bytes;
}

function isSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdfff;
}

/** `1 second`, `60 seconds`: a duration in milliseconds, in whole seconds. */
function seconds(ms: number): string {
  return count(Math.round(ms / 1000), "second", "seconds");
}

/** `1 person`, `100 people`. */
function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
