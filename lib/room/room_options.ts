/**
 * The room's options and the records it hands out: its messages, and the
 * seat a transport feeds a member's lines into.
 *
 * @module
 */

import type { Frame } from "../wire/line_splitter.ts";
import { type Clock, realClock } from "./clock.ts";
import { COMMANDS, type CommandTable } from "./commands.ts";
import { MODERATION_COMMANDS } from "./moderation_commands.ts";
import { type RateLimitSetting, ROOM_DEFAULTS } from "./defaults.ts";
import type { MemberState } from "./member.ts";

/** Options for `Room`; every default is in `ROOM_DEFAULTS` (`defaults.ts`). */
export interface RoomOptions {
  /**
   * The operator's name in the room (reserved for them).
   *
   * @default {"host"}
   */
  hostName?: string;
  /**
   * Where the operator sees the room: safe, `\n`-terminated lines.
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
   * Bytes a member may send without a line end before it is dropped.
   *
   * @default {16384}
   */
  maxUnterminatedBytes?: number;
  /**
   * Bytes that may wait for one member before it is dropped as stalled.
   *
   * @default {262144}
   */
  maxQueuedBytes?: number;
  /**
   * Members at once, named or not.
   *
   * @default {100}
   */
  maxClients?: number;
  /**
   * Members from one address at once.
   *
   * @default {10}
   */
  maxClientsPerAddress?: number;
  /**
   * The flood guard; `null` turns it off.
   *
   * @default {{ burstLines: 40, linesPerSecond: 5 }}
   */
  rateLimit?: RateLimitSetting | null;
  /**
   * Milliseconds a new member has to choose a name.
   *
   * @default {60000}
   */
  nameTimeoutMs?: number;
  /**
   * Milliseconds of silence before a member is dropped; 0 never.
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
   * A passphrase a member must send before its name.
   *
   * @default {undefined (none)}
   */
  password?: string;
  /**
   * The passphrase that makes a member a moderator (`/op PASSPHRASE`).
   *
   * @default {undefined (only the operator moderates)}
   */
  opPassword?: string;
  /**
   * How often deadlines are checked, in milliseconds.
   *
   * @default {1000}
   */
  sweepIntervalMs?: number;
  /**
   * How long a leaving member gets to take its last lines.
   *
   * @default {2000}
   */
  closeGraceMs?: number;
  /**
   * How long a wrong passphrase waits for its answer, against guessing.
   *
   * @default {2000}
   */
  wrongPasswordDelayMs?: number;
  /**
   * Time, for tests.
   *
   * @default {realClock}
   */
  clock?: Clock;
  /**
   * The slash commands.
   *
   * @default {COMMANDS and MODERATION_COMMANDS}
   */
  commands?: CommandTable;
  /**
   * Sees every message, with its id, before it is relayed (a store).
   *
   * @default {none}
   */
  onMessage?: (message: RoomMessage) => void;
  /**
   * Called when a moderator clears the history (`/clear`), so a store
   * forgets it too.
   *
   * @default {none}
   */
  onClear?: () => void;
  /**
   * History to start from (a store's): ids go on after `lastId`, and
   * `messages` (oldest first) are what newcomers are shown.
   *
   * @default {an empty room}
   */
  restore?: { lastId: number; messages: readonly RestoredMessage[] };
}

/** A message from before this run of the room (from a store). */
export interface RestoredMessage {
  /** Its id. */
  readonly id: number;
  /** When it was said, in milliseconds since 1970. */
  readonly time: number;
  /** A plain message, or a `/me` action. */
  readonly kind: "say" | "action";
  /** The sender's name. */
  readonly from: string;
  /** What they said. */
  readonly text: string;
}

/** A message said in the room. */
export interface RoomMessage {
  /** 1 for the room's first message, then one more for each. */
  readonly id: number;
  /** When it was said, in milliseconds since 1970 (wall-clock time). */
  readonly time: number;
  /** A plain message, or a `/me` action. */
  readonly kind: "say" | "action";
  /** The sender's name. */
  readonly from: string;
  /** What they said (not yet made safe). */
  readonly text: string;
  /** The line on the wire, as every receiver gets it. */
  readonly line: Uint8Array;
}

/** What a transport tells the room about its member. */
export interface RoomSeat {
  /** The room's record of the member. */
  readonly state: Readonly<MemberState>;
  /** Something arrived (counts against the idle timeout). */
  heard(): void;
  /** A whole line (or an oversize one) arrived. */
  receive(frame: Frame): void;
  /** The transport found it misbehaving: tell it why, tell the room, close. */
  drop(reason: string): void;
  /** The connection ended (`null`: it said goodbye; else why it was lost). */
  ended(reason: string | null): void;
  /** The member is closed and forgotten; the room no longer counts it. */
  closed(): void;
}

/** A room's options with every default filled in (the passphrase and store aside). */
export type RoomSettings = Readonly<
  Required<
    Omit<
      RoomOptions,
      "password" | "opPassword" | "onMessage" | "onClear" | "restore"
    >
  >
>;

/** `options` with {@linkcode ROOM_DEFAULTS} where they are missing or `undefined`. */
export function withDefaults(
  options: Omit<
    RoomOptions,
    "password" | "opPassword" | "onMessage" | "onClear" | "restore"
  >,
): RoomSettings {
  const given = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  );
  return {
    ...ROOM_DEFAULTS,
    showToHost: () => {},
    clock: realClock,
    commands: new Map([...COMMANDS, ...MODERATION_COMMANDS]),
    ...given,
  };
}
