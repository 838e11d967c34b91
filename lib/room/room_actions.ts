/**
 * What a named member's line does (past the flood guard and moderation: a
 * message or a command), and what slash commands may do to a room
 * ({@linkcode CommandRoom}). Kept out of `Room` itself: commands get these
 * actions, while the room's own API stays what a transport or a script
 * needs.
 *
 * @module
 */

import type { Clock, TimerId } from "./clock.ts";
import { type CommandRoom, type CommandTable, runCommand } from "./commands.ts";
import { sendToAll } from "./delivery.ts";
import type { Exits } from "./exits.ts";
import type { History } from "./history.ts";
import type { MemberState } from "./member.ts";
import { audienceOf, type Moderation } from "./moderation.ts";
import { passwordMatches } from "./password.ts";
import type { RoomMessage, RoomOptions } from "./room_options.ts";
import type { Roster } from "./roster.ts";
import type { SessionKeeper } from "./session_keeper.ts";
import * as wire from "./wire.ts";

/** The parts of a room that {@linkcode RoomActions} acts on. */
export interface RoomParts {
  /** Who is here. */
  roster: Roster;
  /** The messages said. */
  history: History;
  /** Sessions. */
  keeper: SessionKeeper;
  /** How members go. */
  exits: Exits;
  /** What teachers have set. */
  moderation: Moderation;
  /** The room's clock. */
  clock: Clock;
  /** How long a wrong passphrase waits for its answer. */
  wrongPasswordDelayMs: number;
  /** The slash commands. */
  commands: CommandTable;
  /** The moderator passphrase, if there is one. */
  opPassword: string | undefined;
  /** Sees every message before it is relayed. */
  onMessage: RoomOptions["onMessage"];
  /** Called when the history is cleared. */
  onClear: RoomOptions["onClear"];
}

/** A room's actions, for its commands. */
export class RoomActions implements CommandRoom {
  /** What teachers have set: mutes, bans, topic, modes. */
  readonly moderation: Moderation;
  readonly #parts: RoomParts;
  /** Wrong passphrases waiting for their answer. */
  readonly #refusals = new Set<TimerId>();

  /** Makes the actions on `parts`. */
  constructor(parts: RoomParts) {
    this.#parts = parts;
    this.moderation = parts.moderation;
  }

  /** A named member's line: through its flood guard, then on to {@linkcode line}. */
  takeLine(state: MemberState, text: string): void {
    switch (state.flood?.check(text, this.#parts.clock.now()) ?? "pass") {
      case "pass":
        return this.line(state, text);
      case "warn":
        return state.member.deliver(wire.errorLine(wire.errors.tooFast));
      case "drop":
        return this.#parts.exits.drop(state, wire.reasons.flooding);
    }
  }

  /** Every line of a named member (past its flood guard) passes here: the one place to mute or slow it. */
  line(state: MemberState, text: string): void {
    const { moderation, roster, clock, commands } = this.#parts;
    const refusal = moderation.talkRefusal(
      state,
      audienceOf(text, (name) => roster.find(name)),
      clock,
    );
    if (refusal) return state.member.deliver(wire.errorLine(refusal));
    if (text.startsWith("/") && !text.startsWith("//")) {
      runCommand(this, state, text, commands);
      return;
    }
    this.publish(state, "say", text.startsWith("//") ? text.slice(1) : text);
  }

  /** Names in the room, the operator first. */
  get names(): string[] {
    return this.#parts.roster.names;
  }

  /** The member called `name` (any case), if one is here. */
  find(name: string): MemberState | undefined {
    return this.#parts.roster.find(name);
  }

  /** Whether `state` is the operator. */
  isHost(state: MemberState): boolean {
    return state === this.#parts.roster.host;
  }

  /** Says `text` in the room as `from`. */
  publish(from: MemberState, kind: RoomMessage["kind"], text: string): void {
    const { history, onMessage, roster } = this.#parts;
    const message = history.next(kind, from.name, text);
    onMessage?.(message); // stored before anyone sees it
    history.keep(message);
    sendToAll(roster.named(), from, message);
  }

  /** Renames a member (the name was checked) and tells everyone. */
  rename(state: MemberState, newName: string): void {
    const { moderation, roster, keeper } = this.#parts;
    const oldName = state.name;
    moderation.renamed(oldName, newName);
    roster.rename(state, newName);
    keeper.renamed(state, newName);
    roster.broadcast(wire.renamedLine(oldName, newName), null);
  }

  /** A member leaves (`/quit`): the room is told (with `reason`), then it is closed. */
  leave(state: MemberState, reason: string | null): void {
    this.#parts.keeper.end(state);
    this.#parts.exits.leave(state, reason);
  }

  /** The time on the room's clock. */
  now(): number {
    return this.#parts.clock.now();
  }

  /** `*** text` to everyone, the operator included. */
  announce(text: string): void {
    this.#parts.roster.broadcast(wire.notice(text), null);
  }

  /** Closes a member with `reason`, without the usual "left" line. */
  remove(state: MemberState, reason: string): void {
    this.#parts.keeper.end(state);
    this.#parts.roster.dropName(state);
    this.#parts.exits.disconnect(state, reason);
  }

  /** Forgets the messages newcomers are shown. */
  clearHistory(): void {
    this.#parts.history.clear();
    this.#parts.onClear?.();
  }

  /** Whether `guess` is the moderator passphrase; `null` if there is none. */
  opPasswordMatches(guess: string): boolean | null {
    const { opPassword } = this.#parts;
    if (opPassword === undefined) return null;
    return passwordMatches(guess, opPassword);
  }

  /** Runs `then` after the wrong-passphrase delay (cancelled by {@linkcode cancelDelays}). */
  afterPasswordDelay(then: () => void): void {
    const { clock, wrongPasswordDelayMs } = this.#parts;
    const timer = clock.setTimeout(() => {
      this.#refusals.delete(timer);
      then();
    }, wrongPasswordDelayMs);
    this.#refusals.add(timer);
  }

  /** Cancels every wrong-passphrase answer still waiting (the room closes). */
  cancelDelays(): void {
    for (const timer of this.#refusals) this.#parts.clock.clearTimeout(timer);
  }
}
