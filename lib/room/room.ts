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
 *   with an increasing `id` in one place, `RoomActions.publish`;
 *   `onMessage` sees it before anyone else does (write it there, then it
 *   is relayed), and `history` is made of these records.
 * - Moderation: commands are a table (`commands.ts`), given the room's
 *   actions (`room_actions.ts`); pass more in `commands`. Per-member flags
 *   go in {@linkcode MemberState}, and every chat line passes
 *   `RoomActions.line`, the one place to mute or slow it.
 *
 * This file is the room's API and its wiring; each concern lives in a file
 * of its own: who is here (`roster.ts`), the handshake (`handshake.ts`),
 * sessions and resuming (`session_keeper.ts`), one member's delivery
 * (`delivery.ts`), how members go (`exits.ts`), what commands may do
 * (`room_actions.ts`), limits (`admission.ts`, `flood_guard.ts`) and
 * moderation (`moderation.ts`).
 *
 * Speed matters (every line goes to everyone), so each line is encoded once
 * per broadcast and the same bytes are queued for every receiver.
 *
 * @module
 */

import type { Frame } from "../wire/line_splitter.ts";
import { nameProblem } from "../wire/names.ts";
import type { Clock, TimerId } from "./clock.ts";
import {
  type Member,
  type MemberState,
  newHostState,
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
import { FloodGuard } from "./flood_guard.ts";
import { Admission } from "./admission.ts";
import { Moderation } from "./moderation.ts";
import type { Sessions } from "./sessions.ts";
import { SessionKeeper } from "./session_keeper.ts";
import { Roster } from "./roster.ts";
import { Exits } from "./exits.ts";
import { RoomActions } from "./room_actions.ts";
import { checkPassword, greet, nameRefusal, welcome } from "./handshake.ts";
import * as wire from "./wire.ts";

export type { Member, MemberState, Phase } from "./member.ts";
export type { RoomMessage, RoomOptions, RoomSeat } from "./room_options.ts";

/** A room of named members that relays each line to everyone else. */
export class Room {
  /** The settings in force, defaults filled in. */
  readonly settings: RoomSettings;
  /** Bytes queued for all members together; transports count their queues here. */
  readonly ledger: QueueLedger;
  /** What teachers have set: mutes, bans, topic, modes. */
  readonly moderation: Moderation = new Moderation();
  /** This room's identity: ids from two runs line up only if it is the same. */
  readonly runId: string;
  readonly #password: string | undefined;
  readonly #clock: Clock;
  readonly #roster: Roster;
  readonly #history: History;
  readonly #admission: Admission;
  readonly #keeper: SessionKeeper;
  readonly #exits: Exits;
  readonly #actions: RoomActions;
  /** What every member's seat calls back into (one object for the room). */
  readonly #seatHooks: SeatHooks;
  #sweeper: TimerId | undefined;
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
    const problem = nameProblem(this.settings.hostName);
    if (problem) throw new RangeError(`Invalid host name: ${problem}`);
    this.#password = password;
    this.runId = runId ?? crypto.randomUUID();
    this.#clock = this.settings.clock;
    this.ledger = roomLedger(this.settings.maxQueuedBytes);
    const history = new History(
      this.settings.historySize,
      restore?.lastId,
      restore?.messages,
    );
    this.#history = history;
    const host = newHostState(
      this.settings.hostName,
      this.settings.showToHost,
      this.#clock.now(),
    );
    this.#roster = new Roster(host);
    this.#admission = new Admission(
      this.settings.maxClients,
      this.settings.maxClientsPerAddress,
    );
    this.#exits = new Exits(this.#roster, () => this.#keeper, this.#admission);
    this.#seatHooks = {
      clock: this.#clock,
      exits: this.#exits,
      onFrame: (state, frame) => this.#onFrame(state, frame),
    };
    this.#keeper = new SessionKeeper({
      graceMs: this.settings.resumeGraceMs,
      saved: restore?.sessions ?? [],
      clock: this.#clock,
      roster: this.#roster,
      onSession,
      missedSince: (id) => replay?.(id) ?? history.since(id),
      replaceQuietly: (old) => this.#exits.replaceQuietly(old),
    });
    this.#actions = new RoomActions({
      roster: this.#roster,
      history,
      keeper: this.#keeper,
      exits: this.#exits,
      moderation: this.moderation,
      clock: this.#clock,
      wrongPasswordDelayMs: this.settings.wrongPasswordDelayMs,
      opPassword,
      commands: this.settings.commands,
      onMessage,
      onClear,
    });
  }

  /** Names in the room, the operator first; `@` marks other moderators. */
  get names(): string[] {
    return this.#roster.names;
  }

  /** Members joined, named or not (the operator not counted). */
  get connectionCount(): number {
    return this.#roster.count;
  }

  /** The last messages, oldest first: what a newcomer is shown. */
  get history(): readonly RoomMessage[] {
    return this.#history.recent;
  }

  /** Sessions of members that may come back after a drop. */
  get sessions(): Sessions {
    return this.#keeper.sessions;
  }

  /** Admits `member` (or refuses it, with a reason, if a limit is reached). */
  join(member: Member): RoomSeat {
    const { rateLimit, maxLineBytes, sweepIntervalMs } = this.settings;
    const now = this.#clock.now();
    const flood = rateLimit && new FloodGuard(rateLimit, maxLineBytes, now);
    const state = newMemberState(member, now, flood);
    this.#roster.add(state);
    const refusal = this.#admission.count(member.address) ??
      this.moderation.refusal(member.address, now);
    this.#sweeper ??= this.#clock.setTimeout(
      () => this.#sweep(),
      sweepIntervalMs,
    );
    if (this.#closing) this.#exits.disconnect(state, wire.reasons.shutdown);
    else if (refusal) this.#exits.disconnect(state, refusal);
    else welcome(state, this.#password !== undefined);
    return new Seat(state, this.#seatHooks);
  }

  /** Resolves once members have caught up enough for more lines (`catch_up.ts`). */
  catchingUp(): Promise<void> | void {
    return catchingUp(this.ledger, this.#roster.count);
  }

  /** What the operator types: a message or a command, as a member's line. */
  hostSays(text: string): void {
    this.#actions.line(this.#roster.host, text);
  }

  /** Tells everyone the server is stopping, then closes every member. */
  async close(reason: string = wire.reasons.shutdown): Promise<void> {
    this.#closing = true;
    this.#clock.clearTimeout(this.#sweeper);
    this.#actions.cancelDelays();
    const everyone = [...this.#roster.members()];
    await Promise.all(
      everyone.map((state) => this.#exits.disconnect(state, reason)),
    );
  }

  // ---- the handshake and lines ----

  #onFrame(state: MemberState, frame: Frame & { seq?: number }): void {
    if (state.phase === "closed") return;
    if (
      frame.kind === "line" && state.phase !== "chatting" &&
      this.#keeper.sessionLine(state, frame.text)
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
        return checkPassword(
          state,
          frame.text,
          this.#password!,
          () =>
            this.#actions.afterPasswordDelay(() =>
              this.#exits.disconnect(state, wire.reasons.wrongPassword)
            ),
        );
      case "naming":
        return this.#chooseName(state, frame.text);
      case "chatting":
        return this.#keeper.takeLine(
          state,
          frame.text,
          frame.seq,
          (text) => this.#actions.takeLine(state, text),
          () => this.#history.lastId,
        );
    }
  }

  #chooseName(state: MemberState, text: string): void {
    const name = text.trim();
    const problem = nameRefusal(name, {
      taken: (name) => this.#roster.find(name) !== undefined,
      held: (name) => this.#keeper.nameHeld(name),
    });
    if (problem) {
      state.member.deliver(wire.errorLine(wire.errors.badName(problem)));
      return;
    }
    state.phase = "chatting";
    this.#roster.setName(state, name);
    greet(state, {
      names: this.names,
      openSession: () => this.#keeper.open(state),
      topic: this.moderation.topic,
      history: this.history,
    });
    this.#roster.broadcast(wire.joinedLine(name), state);
  }

  /** Every sweep interval: drop members who never chose a name, or went silent. */
  #sweep(): void {
    const now = this.#clock.now();
    this.#keeper.expire();
    for (const state of this.#roster.members()) {
      const reason = overdue(state, now, this.settings);
      if (reason) this.#exits.drop(state, reason);
    }
    this.#sweeper = this.#closing ? undefined : this.#clock.setTimeout(
      () => this.#sweep(),
      this.settings.sweepIntervalMs,
    );
  }
}

/** What a {@linkcode Seat} needs of its room. */
interface SeatHooks {
  clock: Clock;
  exits: Exits;
  onFrame(state: MemberState, frame: Frame & { seq?: number }): void;
}

/**
 * A member's seat: methods on a class rather than closures per member,
 * since a room of idle members holds one seat each.
 */
class Seat implements RoomSeat {
  readonly state: MemberState;
  readonly #room: SeatHooks;

  constructor(state: MemberState, room: SeatHooks) {
    this.state = state;
    this.#room = room;
  }

  heard(): void {
    this.state.lastHeard = this.#room.clock.now();
  }

  receive(frame: Frame & { seq?: number }): void {
    this.#room.onFrame(this.state, frame);
  }

  drop(reason: string): void {
    this.#room.exits.drop(this.state, reason);
  }

  ended(reason: string | null): void {
    this.#room.exits.leave(this.state, reason);
  }

  closed(): void {
    this.#room.exits.forget(this.state);
  }
}
