/**
 * The room checks: a server that claims to follow PROTOCOL.md's room,
 * checked with many clients played by the checker. Each check starts the
 * server afresh when the checker has its command.
 *
 * @module
 */

import type { RoomCheck } from "./checked_room.ts";
import { join, nameRules, uniqueNames } from "./room_name_checks.ts";
import {
  attribution,
  history,
  noEcho,
  privateMessage,
  spoofing,
} from "./room_relay_checks.ts";
import {
  controlCharacters,
  invalidUtf8,
  oversize,
} from "./room_hostile_checks.ts";
import { crowd, stalledReader } from "./room_load_checks.ts";

/** Every room check, in the order of the report card. */
export const ROOM_CHECKS: RoomCheck[] = [
  join,
  uniqueNames,
  nameRules,
  attribution,
  noEcho,
  spoofing,
  privateMessage,
  history,
  oversize,
  controlCharacters,
  invalidUtf8,
  crowd,
  stalledReader,
];
