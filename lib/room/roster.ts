/**
 * Who is in the room: every joined member, and the named ones by name (in
 * any case, as {@linkcode nameKey} folds it), the operator among them. A
 * name belongs to one member at a time; a member that lost its name to a
 * newer connection of its own must not take it from that one on its way
 * out, so removing a name checks who holds it.
 *
 * @module
 */

import { nameKey } from "../wire/names.ts";
import type { MemberState } from "./member.ts";

/** The room's members, and its named members by name. */
export class Roster {
  /** The operator: always named, never counted as a connection. */
  readonly host: MemberState;
  /** Everyone who chose a name, by {@linkcode nameKey}; the host included. */
  readonly #named = new Map<string, MemberState>();
  /** Every joined member, named or not, the host not included. */
  readonly #members = new Set<MemberState>();

  /** Makes a roster with only the operator, `host`, named. */
  constructor(host: MemberState) {
    this.host = host;
    this.#named.set(nameKey(host.name), host);
  }

  /** Names in the room, the operator first; `@` marks other moderators. */
  get names(): string[] {
    return [...this.#named.values()].map((state) =>
      state.moderator && state !== this.host ? `@${state.name}` : state.name
    );
  }

  /** Members joined, named or not (the operator not counted). */
  get count(): number {
    return this.#members.size;
  }

  /** Every joined member, named or not (live: copy it to change the roster while going through it). */
  members(): Iterable<MemberState> {
    return this.#members.values();
  }

  /** The named members, the operator first (live: do not change it while going through it). */
  named(): Iterable<MemberState> {
    return this.#named.values();
  }

  /** Counts `state` as joined. */
  add(state: MemberState): void {
    this.#members.add(state);
  }

  /** Forgets `state`; `false` if it was not joined. */
  delete(state: MemberState): boolean {
    return this.#members.delete(state);
  }

  /** The member called `name` (any case), if one is here. */
  find(name: string): MemberState | undefined {
    return this.#named.get(nameKey(name));
  }

  /** Gives `state` the name `name` (which is free). */
  setName(state: MemberState, name: string): void {
    state.name = name;
    this.#named.set(nameKey(name), state);
  }

  /** `state`, named, now goes by `newName` (which is free). */
  rename(state: MemberState, newName: string): void {
    this.#named.delete(nameKey(state.name));
    this.setName(state, newName);
  }

  /** Frees the name of `state` if it holds it; whether it did. */
  dropName(state: MemberState): boolean {
    if (state.name === "" || this.find(state.name) !== state) return false;
    this.#named.delete(nameKey(state.name));
    return true;
  }

  /** Sends `line` to every named member but `except`; the same bytes for all. */
  broadcast(line: Uint8Array, except: MemberState | null): void {
    for (const state of this.#named.values()) {
      if (state !== except) state.member.deliver(line);
    }
  }
}
