/**
 * Who is in the room, as a client can tell from what the server sends (the
 * welcome, `/who` replies, joins, leaves, renames, `<NAME>` lines), and Tab
 * completion of names and commands built on it. No protocol change is needed.
 *
 * @module
 */

/** The commands a room understands (see PROTOCOL.md), completed by Tab. */
export const ROOM_COMMANDS: readonly string[] = [
  "/help",
  "/me",
  "/msg",
  "/nick",
  "/quit",
  "/who",
];

const NAME = "[A-Za-z0-9_-]{1,16}";
const MEMBER_LIST = new RegExp(`In the room \\(\\d+\\): (.*?)\\.?(?: Type|$)`);
const HELLO = new RegExp(`^\\*\\*\\* Hello (${NAME})!`);
const JOINED = new RegExp(`^\\*\\*\\* (${NAME}) joined$`);
const LEFT = new RegExp(`^\\*\\*\\* (${NAME}) left\\b`);
const RENAMED = new RegExp(`^\\*\\*\\* (${NAME}) is now known as (${NAME})$`);
const SPOKE = new RegExp(`^(?:<(${NAME})> |\\* (${NAME}) |\\*(${NAME})\\* )`);

/** Options for {@linkcode RoomMembers}. */
export interface RoomMembersOptions {
  /**
   * This side's own name, if known already (the server's welcome tells it).
   *
   * @default {undefined}
   */
  myName?: string;
}

/** The names in the room, learnt from the lines the server sends. */
export class RoomMembers {
  /** Lower-cased name to name as written: the room ignores case. */
  readonly #names = new Map<string, string>();
  #myName: string | undefined;

  /** Starts with no names but, maybe, one's own. */
  constructor(options: RoomMembersOptions = {}) {
    this.#myName = options.myName;
  }

  /** This side's own name, once known. */
  get myName(): string | undefined {
    return this.#myName;
  }

  /** Everyone else in the room, in the order they were learnt. */
  get names(): string[] {
    const me = this.#myName?.toLowerCase();
    return [...this.#names].filter(([key]) => key !== me).map(([, n]) => n);
  }

  /** Learns from one line the server sent. */
  learn(line: string): void {
    const hello = line.match(HELLO);
    if (hello) this.#myName = hello[1];
    const list = line.match(MEMBER_LIST);
    if (list && line.startsWith("*** ")) {
      this.#names.clear();
      for (const name of list[1].split(", ")) this.#add(name);
      return;
    }
    const renamed = line.match(RENAMED);
    if (renamed) {
      const [, old, now] = renamed;
      this.#names.delete(old.toLowerCase());
      this.#add(now);
      if (old.toLowerCase() === this.#myName?.toLowerCase()) {
        this.#myName = now;
      }
      return;
    }
    const joined = line.match(JOINED) ?? line.match(SPOKE);
    if (joined) {
      this.#add(joined.slice(1).find((name) => name !== undefined)!);
      return;
    }
    const left = line.match(LEFT);
    if (left) this.#names.delete(left[1].toLowerCase());
  }

  #add(name: string): void {
    if (new RegExp(`^${NAME}$`).test(name)) {
      this.#names.set(name.toLowerCase(), name);
    }
  }
}

/**
 * Tab completion of `line` (the text left of the cursor) in a room: a
 * command as the first word (`/ms` → `/msg `), else a name (`/msg al` →
 * `/msg alice `). Returns readline's `[candidates, word being completed]`.
 */
export function completeInRoom(
  line: string,
  names: readonly string[],
): [string[], string] {
  const word = line.slice(line.lastIndexOf(" ") + 1);
  const isFirstWord = word.length === line.length;
  const choices = isFirstWord && word.startsWith("/") ? ROOM_COMMANDS : names;
  const lower = word.toLowerCase();
  const hits = choices.filter((choice) =>
    choice.toLowerCase().startsWith(lower)
  )
    .map((choice) => word + choice.slice(word.length) + " ");
  return [hits, word];
}
