/**
 * A chat room for a whole class: many members, one server, every line
 * attributed by the server. The wire format is written down in PROTOCOL.md
 * and every line the room sends is built in `wire.ts`.
 *
 * The room knows members, not sockets: a transport (`tcp_member.ts` for TCP)
 * wraps each connection in a {@linkcode Member}, calls
 * {@linkcode Room.join}, and feeds the {@linkcode RoomSeat} it gets back
 * whole lines ({@linkcode RoomSeat.receive}) and endings. Names, the
 * handshake, history, broadcast, the flood guard, the passphrase and the
 * limits live here and apply to every kind of member alike.
 *
 * Seams for what comes next:
 * - Other transports (a browser's WebSocket): implement `Member`, call
 *   `join`, feed the seat whole lines; nothing here changes.
 * - Message ids and storage: every message becomes a {@linkcode RoomMessage}
 *   with an increasing `id` in one place, `#publish`; `onMessage` sees it
 *   before anyone else does (write it there, then it is relayed), and
 *   `history` is made of these records.
 * - Moderation: commands are a table (`commands.ts`); pass more in
 *   `commands`. Per-member flags go in {@linkcode MemberState}, and every
 *   chat line passes `#onChatLine`, the one place to mute or slow it.
 *
 * Speed matters (every line goes to everyone), so each line is encoded once
 * per broadcast and the same bytes are queued for every receiver.
 *
 * @module
 */

import type { Frame } from "../wire/line_splitter.ts";
import { utf8Length } from "../wire/utf8_length.ts";
import { nameKey, nameProblem } from "../wire/names.ts";
import { type Clock, realClock, type TimerId } from "./clock.ts";
import { type CommandRoom, COMMANDS, runCommand } from "./commands.ts";
import { byteBudget, ROOM_DEFAULTS } from "./defaults.ts";
import type { Member, MemberState } from "./member.ts";
import type { RoomMessage, RoomOptions, RoomSeat } from "./room_options.ts";
import { QueueLedger } from "./outbox.ts";
import { passwordMatches } from "./password.ts";
import { RateLimit } from "./rate_limit.ts";
import * as wire from "./wire.ts";

export type { Member, MemberState, Phase } from "./member.ts";
export type { RoomMessage, RoomOptions, RoomSeat } from "./room_options.ts";

/**
 * Reading pauses while the room's members are, on average, more than half
 * of this behind (each counted for at most this much, and never more than
 * half its queue limit): a burst waits instead of overflowing every queue.
 */
export const CATCH_UP_BYTES_PER_CLIENT = 32 * 1024;

/** The longest a pause lasts; then reading goes on and stalled queues overflow. */
export const MAX_PAUSE_MS = 1000;

type Settings = Required<Omit<RoomOptions, "password" | "onMessage">>;

/** A room of named members that relays each line to everyone else. */
export class Room implements CommandRoom {
  /** The settings in force, defaults filled in. */
  readonly settings: Readonly<Settings>;
  /** Bytes queued for all members together; transports count their queues here. */
  readonly ledger: QueueLedger;
  readonly #password: string | undefined;
  readonly #onMessage: RoomOptions["onMessage"];
  readonly #clock: Clock;
  readonly #host: MemberState;
  /** Everyone who chose a name, by {@linkcode nameKey}; the host included. */
  readonly #named = new Map<string, MemberState>();
  /** Every joined member, named or not, the host not included. */
  readonly #members = new Set<MemberState>();
  readonly #perAddress = new Map<string, number>();
  readonly #history: RoomMessage[] = [];
  #lastId = 0;
  #sweeper: TimerId | undefined;
  #closing = false;

  /** Makes an empty room with the operator in it. */
  constructor(options: RoomOptions = {}) {
    const { password, onMessage, ...rest } = options;
    const defined = Object.fromEntries(
      Object.entries(rest).filter(([, value]) => value !== undefined),
    );
    this.settings = {
      ...ROOM_DEFAULTS,
      showToHost: () => {},
      clock: realClock,
      commands: COMMANDS,
      ...defined,
    };
    const problem = nameProblem(this.settings.hostName);
    if (problem) throw new RangeError(`Invalid host name: ${problem}`);
    this.#password = password;
    this.#onMessage = onMessage;
    this.#clock = this.settings.clock;
    this.ledger = new QueueLedger(
      Math.min(CATCH_UP_BYTES_PER_CLIENT, this.settings.maxQueuedBytes / 2),
    );
    this.#host = this.#newState({
      address: "",
      queuedBytes: 0,
      deliver: this.settings.showToHost,
      close: () => Promise.resolve(),
    }, null);
    this.#host.phase = "chatting";
    this.#host.name = this.settings.hostName;
    this.#named.set(nameKey(this.#host.name), this.#host);
  }

  /** Names in the room, the operator first. */
  get names(): string[] {
    return [...this.#named.values()].map((state) => state.name);
  }

  /** Members joined, named or not (the operator not counted). */
  get connectionCount(): number {
    return this.#members.size;
  }

  /** The last messages, oldest first: what a newcomer is shown. */
  get history(): readonly RoomMessage[] {
    return this.#history;
  }

  /** Admits `member` (or refuses it, with a reason, if a limit is reached). */
  join(member: Member): RoomSeat {
    const state = this.#newState(member, this.#makeRateLimit());
    const { address } = member;
    this.#members.add(state);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    this.#sweeper ??= this.#clock.setTimeout(
      () => this.#sweep(),
      this.settings.sweepIntervalMs,
    );
    const { maxClients, maxClientsPerAddress } = this.settings;
    if (this.#closing) this.#disconnect(state, wire.reasons.shutdown);
    else if (this.#members.size > maxClients) {
      this.#disconnect(state, wire.reasons.full(maxClients));
    } else if (this.#perAddress.get(address)! > maxClientsPerAddress) {
      this.#disconnect(
        state,
        wire.reasons.tooManyFrom(address, maxClientsPerAddress),
      );
    } else if (this.#password !== undefined) {
      member.deliver(wire.notice(wire.PASSWORD_WELCOME));
    } else {
      state.phase = "naming";
      member.deliver(wire.notice(wire.NAME_WELCOME));
    }
    return {
      state,
      heard: () => state.lastHeard = this.#clock.now(),
      receive: (frame) => this.#onFrame(state, frame),
      drop: (reason) => this.#drop(state, reason),
      ended: (reason) => this.#leave(state, reason),
      closed: () => this.#forget(state),
    };
  }

  /**
   * Resolves at once unless the room has queued far more than its members
   * have taken: then a transport waits before relaying more, so a burst from
   * many senders is slowed down instead of overflowing every queue. A few
   * stalled members never pause the room (each counts for at most a busy
   * member's share), and no pause lasts longer than {@linkcode MAX_PAUSE_MS}.
   */
  catchingUp(): Promise<void> | void {
    const highWater = this.#members.size * this.ledger.perOutboxCap / 2;
    if (this.ledger.total <= highWater) return;
    return this.ledger.waitUntilAtMost(highWater / 2, MAX_PAUSE_MS);
  }

  /** What the operator types: a message or a command, as a member's line. */
  hostSays(text: string): void {
    this.#onLine(this.#host, text);
  }

  /** Tells everyone the server is stopping, then closes every member. */
  async close(reason: string = wire.reasons.shutdown): Promise<void> {
    this.#closing = true;
    this.#clock.clearTimeout(this.#sweeper);
    const everyone = [...this.#members];
    await Promise.all(everyone.map((state) => this.#disconnect(state, reason)));
  }

  // ---- CommandRoom: what slash commands may do ----

  /** The member called `name` (any case), if one is here. */
  find(name: string): MemberState | undefined {
    return this.#named.get(nameKey(name));
  }

  /** Whether `state` is the operator. */
  isHost(state: MemberState): boolean {
    return state === this.#host;
  }

  /** Says `text` in the room as `from`. */
  publish(from: MemberState, kind: RoomMessage["kind"], text: string): void {
    const line = kind === "say"
      ? wire.chatLine(from.name, text)
      : wire.actionLine(from.name, text);
    const message = { id: ++this.#lastId, kind, from: from.name, text, line };
    this.#onMessage?.(message);
    this.#history.push(message);
    if (this.#history.length > this.settings.historySize) this.#history.shift();
    this.#broadcast(line, from);
  }

  /** Renames a member (the name was checked) and tells everyone. */
  rename(state: MemberState, newName: string): void {
    const oldName = state.name;
    this.#named.delete(nameKey(oldName));
    state.name = newName;
    this.#named.set(nameKey(newName), state);
    this.#broadcast(wire.renamedLine(oldName, newName), null);
  }

  /** A member leaves: the room is told (with `reason`), then it is closed. */
  leave(state: MemberState, reason: string | null): void {
    this.#leave(state, reason);
  }

  // ---- the handshake and lines ----

  #newState(member: Member, limit: RateLimit | null): MemberState {
    const now = this.#clock.now();
    return {
      member,
      phase: "password",
      name: "",
      connectedAt: now,
      lastHeard: now,
      throttledLines: 0,
      limit,
    };
  }

  #makeRateLimit(): RateLimit | null {
    const setting = this.settings.rateLimit;
    if (!setting) return null;
    const budget = byteBudget(setting, this.settings.maxLineBytes);
    return new RateLimit({ ...setting, ...budget }, this.#clock.now());
  }

  #onFrame(state: MemberState, frame: Frame): void {
    if (state.phase === "closed") return;
    if (frame.kind === "oversize") {
      const { maxLineBytes } = this.settings;
      state.member.deliver(
        wire.errorLine(wire.errors.oversize(frame.bytes, maxLineBytes)),
      );
      return;
    }
    switch (state.phase) {
      case "password":
        return this.#checkPassword(state, frame.text);
      case "naming":
        return this.#chooseName(state, frame.text);
      case "chatting":
        return this.#onChatLine(state, frame.text);
    }
  }

  /** The first line, in a room with a passphrase; one guess per member. */
  #checkPassword(state: MemberState, guess: string): void {
    if (passwordMatches(guess, this.#password!)) {
      state.phase = "naming";
      state.member.deliver(wire.passwordAcceptedLine());
      return;
    }
    // Lines sent meanwhile are ignored; the answer comes only after a delay.
    state.phase = "closed";
    this.#clock.setTimeout(
      () => this.#disconnect(state, wire.reasons.wrongPassword),
      this.settings.wrongPasswordDelayMs,
    );
  }

  #chooseName(state: MemberState, text: string): void {
    const name = text.trim();
    const problem = nameProblem(name) ??
      (this.find(name) ? wire.errors.nameTaken(name) : null);
    if (problem) {
      state.member.deliver(wire.errorLine(wire.errors.badName(problem)));
      return;
    }
    state.phase = "chatting";
    state.name = name;
    this.#named.set(nameKey(name), state);
    state.member.deliver(wire.helloLine(name, this.names));
    if (this.#history.length > 0) {
      state.member.deliver(wire.notice(wire.HISTORY_START));
      for (const message of this.#history) state.member.deliver(message.line);
      state.member.deliver(wire.notice(wire.HISTORY_END));
    }
    this.#broadcast(wire.joinedLine(name), state);
  }

  /** Every line of a named member passes here: the flood guard, then the room. */
  #onChatLine(state: MemberState, text: string): void {
    if (state.limit && !state.limit.take(utf8Length(text), this.#clock.now())) {
      state.throttledLines++;
      if (state.throttledLines === 1) {
        state.member.deliver(wire.errorLine(wire.errors.tooFast));
      } else if (
        state.throttledLines > 2 * this.settings.rateLimit!.burstLines
      ) {
        this.#drop(state, wire.reasons.flooding);
      }
      return;
    }
    state.throttledLines = 0;
    this.#onLine(state, text);
  }

  #onLine(state: MemberState, text: string): void {
    if (text.startsWith("/") && !text.startsWith("//")) {
      runCommand(this, state, text, this.settings.commands);
      return;
    }
    this.publish(state, "say", text.startsWith("//") ? text.slice(1) : text);
  }

  /** Sends `line` to every named member but `except`; the same bytes for all. */
  #broadcast(line: Uint8Array, except: MemberState | null): void {
    for (const state of this.#named.values()) {
      if (state !== except) state.member.deliver(line);
    }
  }

  // ---- endings ----

  #leave(state: MemberState, reason: string | null): void {
    if (state.phase === "closed") return;
    this.#announceLeave(state, reason);
    state.phase = "closed";
    this.#closeMember(state);
  }

  #drop(state: MemberState, reason: string): void {
    if (state.phase === "closed") return;
    this.#announceLeave(state, reason);
    this.#disconnect(state, reason);
  }

  /** Tells the member why, then closes it (once). */
  #disconnect(state: MemberState, reason: string): Promise<void> {
    if (!state.closing) state.member.deliver(wire.disconnectedLine(reason));
    state.phase = "closed";
    return this.#closeMember(state);
  }

  #closeMember(state: MemberState): Promise<void> {
    return state.closing ??= state.member.close();
  }

  #announceLeave(state: MemberState, reason: string | null): void {
    if (state.name === "" || this.find(state.name) !== state) return;
    this.#named.delete(nameKey(state.name));
    this.#broadcast(wire.leftLine(state.name, reason), state);
  }

  #forget(state: MemberState): void {
    this.#leave(state, null);
    if (!this.#members.delete(state)) return;
    const { address } = state.member;
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }

  /** Every sweep interval: drop members who never chose a name, or went silent. */
  #sweep(): void {
    const now = this.#clock.now();
    const { nameTimeoutMs, idleTimeoutMs } = this.settings;
    for (const state of this.#members) {
      if (state.phase === "closed") continue;
      if (state.name === "" && now - state.connectedAt > nameTimeoutMs) {
        this.#drop(state, wire.reasons.noName(nameTimeoutMs));
      } else if (idleTimeoutMs > 0 && now - state.lastHeard > idleTimeoutMs) {
        this.#drop(state, wire.reasons.silent(idleTimeoutMs));
      }
    }
    this.#sweeper = this.#closing ? undefined : this.#clock.setTimeout(
      () => this.#sweep(),
      this.settings.sweepIntervalMs,
    );
  }
}
