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
 *   with an increasing `id` in one place, `publish`; `onMessage` sees it
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
import { nameKey, nameProblem } from "../wire/names.ts";
import type { Clock, TimerId } from "./clock.ts";
import { type CommandRoom, runCommand } from "./commands.ts";
import {
  type Member,
  type MemberState,
  newMemberState,
  overdue,
} from "./member.ts";
import { History } from "./history.ts";
import {
  type RoomMessage,
  type RoomOptions,
  type RoomSeat,
  type RoomSettings,
  withDefaults,
} from "./room_options.ts";
import type { QueueLedger } from "./queue_ledger.ts";
import { catchingUp, roomLedger } from "./catch_up.ts";
import { passwordMatches } from "./password.ts";
import { FloodGuard } from "./flood_guard.ts";
import { Admission } from "./admission.ts";
import { type Audience, Moderation } from "./moderation.ts";
import { remember, type Session, Sessions } from "./sessions.ts";
import { handleSessionLine, parseSeq } from "./session_lines.ts";
import * as wire from "./wire.ts";

export type { Member, MemberState, Phase } from "./member.ts";
export type { RoomMessage, RoomOptions, RoomSeat } from "./room_options.ts";

/** A room of named members that relays each line to everyone else. */
export class Room implements CommandRoom {
  /** The settings in force, defaults filled in. */
  readonly settings: RoomSettings;
  /** Bytes queued for all members together; transports count their queues here. */
  readonly ledger: QueueLedger;
  /** What teachers have set: mutes, bans, topic, modes. */
  readonly moderation: Moderation = new Moderation();
  readonly #password: string | undefined;
  readonly #opPassword: string | undefined;
  readonly #onMessage: RoomOptions["onMessage"];
  readonly #onClear: RoomOptions["onClear"];
  readonly #onSession: RoomOptions["onSession"];
  readonly #replay: RoomOptions["replay"];
  /** Sessions of members that may come back after a drop. */
  readonly sessions: Sessions;
  /** This room's identity: ids from two runs line up only if it is the same. */
  readonly runId: string;
  readonly #clock: Clock;
  readonly #host: MemberState;
  /** Everyone who chose a name, by {@linkcode nameKey}; the host included. */
  readonly #named = new Map<string, MemberState>();
  /** Every joined member, named or not, the host not included. */
  readonly #members = new Set<MemberState>();
  readonly #admission: Admission;
  readonly #history: History;
  #sweeper: TimerId | undefined;
  /** Wrong passphrases waiting for their answer. */
  readonly #refusals = new Set<TimerId>();
  #closing = false;

  /** Makes an empty room with the operator in it. */
  constructor(options: RoomOptions = {}) {
    const {
      password,
      opPassword,
      onMessage,
      onClear,
      onSession,
      replay,
      restore,
      runId,
      ...rest
    } = options;
    this.settings = withDefaults(rest);
    this.#opPassword = opPassword;
    const problem = nameProblem(this.settings.hostName);
    if (problem) throw new RangeError(`Invalid host name: ${problem}`);
    this.#password = password;
    this.#onMessage = onMessage;
    this.#onClear = onClear;
    this.#onSession = onSession;
    this.#replay = replay;
    this.runId = runId ?? crypto.randomUUID();
    this.#clock = this.settings.clock;
    this.ledger = roomLedger(this.settings.maxQueuedBytes);
    this.#history = new History(
      this.settings.historySize,
      restore?.lastId,
      restore?.messages,
    );
    this.#host = newMemberState(
      {
        address: "",
        queuedBytes: 0,
        deliver: this.settings.showToHost,
        close: () => Promise.resolve(),
      },
      this.#clock.now(),
      null,
    );
    this.#admission = new Admission(
      this.settings.maxClients,
      this.settings.maxClientsPerAddress,
    );
    this.sessions = new Sessions(
      this.settings.resumeGraceMs,
      restore?.sessions ?? [],
      this.#clock.now(),
    );
    this.#host.phase = "chatting";
    this.#host.moderator = true;
    this.#host.name = this.settings.hostName;
    this.#named.set(nameKey(this.#host.name), this.#host);
  }

  /** Names in the room, the operator first; `@` marks other moderators. */
  get names(): string[] {
    return [...this.#named.values()].map((state) =>
      state.moderator && state !== this.#host ? `@${state.name}` : state.name
    );
  }

  /** Members joined, named or not (the operator not counted). */
  get connectionCount(): number {
    return this.#members.size;
  }

  /** The last messages, oldest first: what a newcomer is shown. */
  get history(): readonly RoomMessage[] {
    return this.#history.recent;
  }

  /** Admits `member` (or refuses it, with a reason, if a limit is reached). */
  join(member: Member): RoomSeat {
    const { rateLimit, maxLineBytes, sweepIntervalMs } = this.settings;
    const now = this.#clock.now();
    const flood = rateLimit && new FloodGuard(rateLimit, maxLineBytes, now);
    const state = newMemberState(member, now, flood);
    this.#members.add(state);
    const refusal = this.#admission.count(member.address) ??
      this.moderation.refusal(member.address, now);
    this.#sweeper ??= this.#clock.setTimeout(
      () => this.#sweep(),
      sweepIntervalMs,
    );
    if (this.#closing) this.#disconnect(state, wire.reasons.shutdown);
    else if (refusal) this.#disconnect(state, refusal);
    else if (this.#password !== undefined) {
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

  /** Resolves once members have caught up enough for more lines (`catch_up.ts`). */
  catchingUp(): Promise<void> | void {
    return catchingUp(this.ledger, this.#members.size);
  }

  /** What the operator types: a message or a command, as a member's line. */
  hostSays(text: string): void {
    this.#onLine(this.#host, text);
  }

  /** Tells everyone the server is stopping, then closes every member. */
  async close(reason: string = wire.reasons.shutdown): Promise<void> {
    this.#closing = true;
    this.#clock.clearTimeout(this.#sweeper);
    for (const timer of this.#refusals) this.#clock.clearTimeout(timer);
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
    const message = this.#history.next(kind, from.name, text);
    this.#onMessage?.(message); // stored before anyone sees it
    this.#history.keep(message);
    let tagged: Uint8Array | undefined;
    for (const state of this.#named.values()) {
      if (state === from) continue;
      if (state.member.message) state.member.message(message);
      else if (state.session) {
        state.member.deliver(
          tagged ??= wire.taggedLine(message.id, message.line),
        );
      } else state.member.deliver(message.line);
    }
  }

  /** Sends `message` to one member, in the form it takes (tagged with its id if it has a session). */
  sendMessage(state: MemberState, message: RoomMessage): void {
    if (state.member.message) state.member.message(message);
    else if (state.session) {
      state.member.deliver(wire.taggedLine(message.id, message.line));
    } else state.member.deliver(message.line);
  }

  /** Messages after `id` that a member coming back missed, oldest first. */
  missedSince(id: number): readonly RoomMessage[] {
    return this.#replay?.(id) ?? this.#history.since(id);
  }

  /** Whether `name` may be taken now (not held for someone reconnecting). */
  nameHeld(name: string): boolean {
    return this.sessions.holds(name, this.#clock.now());
  }

  /** Gives a named member a session and tells it the token. */
  openSession(state: MemberState): void {
    const session = this.sessions.open(state);
    state.session = session;
    state.member.deliver(wire.session.token(session.token));
    this.#saveSession(session);
  }

  /**
   * Brings back the member of the held session `token` as `state` (not yet
   * named); it is sent what it missed after `afterId`. `false`: no such
   * session is held.
   */
  resume(state: MemberState, token: string, afterId: number): boolean {
    const session = this.sessions.find(token, this.#clock.now());
    if (!session) return false;
    // Its old connection may not have noticed it is gone (a dropped network
    // is only seen by the side that writes): the token wins, the old one goes.
    if (session.state) this.#replaceQuietly(session.state);
    if (this.find(session.name)) return false;
    this.sessions.attach(session, state);
    state.session = session;
    state.phase = "chatting";
    state.name = session.name;
    this.#named.set(nameKey(state.name), state);
    // Its own lines it typed itself; a page, which shows them as pending
    // until acknowledged, takes them (marked as its own) to settle them.
    const missed = this.missedSince(afterId).filter((message) =>
      state.member.message !== undefined || message.from !== state.name
    );
    state.member.deliver(wire.session.resumed(state.name, missed.length));
    for (const message of missed) this.sendMessage(state, message);
    this.#broadcast(wire.session.rejoined(state.name), state);
    return true;
  }

  /** Closes `old`, which its own session replaces, without a "left" line. */
  #replaceQuietly(old: MemberState): void {
    if (this.find(old.name) === old) this.#named.delete(nameKey(old.name));
    old.session = undefined;
    old.phase = "closed";
    this.#closeMember(old);
  }

  #saveSession(session: Session): void {
    const { token, name, lastSeq } = session;
    this.#onSession?.({ token, name, lastSeq });
  }

  /** Renames a member (the name was checked) and tells everyone. */
  rename(state: MemberState, newName: string): void {
    const oldName = state.name;
    this.moderation.renamed(oldName, newName);
    this.#named.delete(nameKey(oldName));
    state.name = newName;
    this.#named.set(nameKey(newName), state);
    if (state.session) {
      state.session.name = newName;
      this.#saveSession(state.session);
    }
    this.#broadcast(wire.renamedLine(oldName, newName), null);
  }

  /** A member leaves (`/quit`): the room is told (with `reason`), then it is closed. */
  leave(state: MemberState, reason: string | null): void {
    this.#endSession(state);
    this.#leave(state, reason);
  }

  /** The time on the room's clock. */
  now(): number {
    return this.#clock.now();
  }

  /** `*** text` to everyone, the operator included. */
  announce(text: string): void {
    this.#broadcast(wire.notice(text), null);
  }

  /** Closes a member with `reason`, without the usual "left" line. */
  remove(state: MemberState, reason: string): void {
    this.#endSession(state);
    if (this.find(state.name) === state) {
      this.#named.delete(nameKey(state.name));
    }
    this.#disconnect(state, reason);
  }

  /** Forgets the messages newcomers are shown. */
  clearHistory(): void {
    this.#history.clear();
    this.#onClear?.();
  }

  /** Whether `guess` is the moderator passphrase; `null` if there is none. */
  opPasswordMatches(guess: string): boolean | null {
    if (this.#opPassword === undefined) return null;
    return passwordMatches(guess, this.#opPassword);
  }

  /** Runs `then` after the wrong-passphrase delay (cancelled by `close`). */
  afterPasswordDelay(then: () => void): void {
    const timer = this.#clock.setTimeout(() => {
      this.#refusals.delete(timer);
      then();
    }, this.settings.wrongPasswordDelayMs);
    this.#refusals.add(timer);
  }

  // ---- the handshake and lines ----

  #onFrame(state: MemberState, frame: Frame & { seq?: number }): void {
    if (state.phase === "closed") return;
    if (
      frame.kind === "line" && state.phase !== "chatting" &&
      handleSessionLine(this, state, frame.text)
    ) return;
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
        return this.#onChatLine(state, frame.text, frame.seq);
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
    const timer = this.#clock.setTimeout(() => {
      this.#refusals.delete(timer);
      this.#disconnect(state, wire.reasons.wrongPassword);
    }, this.settings.wrongPasswordDelayMs);
    this.#refusals.add(timer);
  }

  #chooseName(state: MemberState, text: string): void {
    const name = text.trim();
    const problem = nameProblem(name) ??
      (this.find(name) ? wire.errors.nameTaken(name) : null) ??
      (this.nameHeld(name) ? wire.session.held(name) : null);
    if (problem) {
      state.member.deliver(wire.errorLine(wire.errors.badName(problem)));
      return;
    }
    state.phase = "chatting";
    state.name = name;
    this.#named.set(nameKey(name), state);
    state.member.deliver(wire.helloLine(name, this.names));
    if (state.wantsSession) this.openSession(state);
    if (this.moderation.topic !== "") {
      state.member.deliver(
        wire.notice(wire.mod.topicIs(this.moderation.topic)),
      );
    }
    if (this.history.length > 0) {
      state.member.deliver(wire.notice(wire.HISTORY_START));
      for (const message of this.history) this.sendMessage(state, message);
      state.member.deliver(wire.notice(wire.HISTORY_END));
    }
    this.#broadcast(wire.joinedLine(name), state);
  }

  /**
   * Every line of a named member passes here. A member with a session
   * numbers its lines: one already taken is acknowledged again, not said
   * twice; a new one is acknowledged with the id of the message it became.
   */
  #onChatLine(state: MemberState, text: string, seq?: number): void {
    const session = state.session;
    if (session && seq === undefined) [seq, text] = parseSeq(text);
    if (!session || seq === undefined) return this.#takeLine(state, text);
    if (seq <= session.lastSeq) {
      const id = session.seqIds.get(seq) ?? null;
      return this.#ack(state, seq, id);
    }
    const before = this.#history.lastId;
    this.#takeLine(state, text);
    const id = this.#history.lastId > before ? this.#history.lastId : null;
    remember(session, seq, id);
    this.#saveSession(session);
    if (state.phase !== "closed") this.#ack(state, seq, id);
  }

  #ack(state: MemberState, seq: number, id: number | null): void {
    if (state.member.ack) state.member.ack(seq, id);
    else state.member.deliver(wire.session.ack(seq, id));
  }

  #takeLine(state: MemberState, text: string): void {
    switch (state.flood?.check(text, this.#clock.now()) ?? "pass") {
      case "pass":
        return this.#onLine(state, text);
      case "warn":
        return state.member.deliver(wire.errorLine(wire.errors.tooFast));
      case "drop":
        return this.#drop(state, wire.reasons.flooding);
    }
  }

  #onLine(state: MemberState, text: string): void {
    const refusal = this.moderation.talkRefusal(
      state,
      this.#audience(text),
      this.#clock.now(),
    );
    if (refusal) return state.member.deliver(wire.errorLine(refusal));
    if (text.startsWith("/") && !text.startsWith("//")) {
      runCommand(this, state, text, this.settings.commands);
      return;
    }
    this.publish(state, "say", text.startsWith("//") ? text.slice(1) : text);
  }

  /**
   * Who a line talks to, for moderation: the room, or the target of a
   * `/msg`; `null` for a command that says nothing to anyone.
   */
  #audience(text: string): Audience | null {
    if (!text.startsWith("/") || text.startsWith("//")) return "room";
    const [command, target] = text.split(" ");
    switch (command.toLowerCase()) {
      case "/me":
        return "room";
      case "/msg":
        return this.find(target ?? "") ?? null;
      default:
        return null;
    }
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
    // Gone without a goodbye: its name waits for it to come back.
    if (state.session?.state === state) {
      this.sessions.hold(state.session, this.#clock.now());
    }
    this.#announceLeave(state, reason);
    state.phase = "closed";
    this.#closeMember(state);
  }

  #drop(state: MemberState, reason: string): void {
    if (state.phase === "closed") return;
    this.#endSession(state);
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

  /** The member won't be back under this session (it left, or was removed). */
  #endSession(state: MemberState): void {
    if (state.session?.state !== state) return;
    this.sessions.end(state.session);
    this.#onSession?.({ token: state.session.token, ended: true });
  }

  #announceLeave(state: MemberState, reason: string | null): void {
    if (state.name === "" || this.find(state.name) !== state) return;
    this.#named.delete(nameKey(state.name));
    this.#broadcast(wire.leftLine(state.name, reason), state);
  }

  #forget(state: MemberState): void {
    this.#leave(state, null);
    if (this.#members.delete(state)) {
      this.#admission.release(state.member.address);
    }
  }

  /** Every sweep interval: drop members who never chose a name, or went silent. */
  #sweep(): void {
    const now = this.#clock.now();
    this.sessions.expire(now);
    for (const state of this.#members) {
      const reason = overdue(state, now, this.settings);
      if (reason) this.#drop(state, reason);
    }
    this.#sweeper = this.#closing ? undefined : this.#clock.setTimeout(
      () => this.#sweep(),
      this.settings.sweepIntervalMs,
    );
  }
}
