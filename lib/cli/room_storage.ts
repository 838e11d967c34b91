/**
 * Connects a room to its SQLite file (`--db`): what it starts from, where
 * each message goes, and what the operator is told.
 *
 * @module
 */

import type { RoomOptions } from "../room/room.ts";
import { type Retention, RoomStore } from "../store/room_store.ts";

/** The room options a store fills in, and how to close it. */
export type StoreHooks =
  & Pick<RoomOptions, "restore" | "onMessage" | "onClear">
  & { close?: () => void };

/** Options for {@linkcode openRoomStore}. */
export interface RoomStorageOptions {
  /** Shows a line to the operator. */
  show: (line: string) => void;
  /**
   * Pages the file may grow to (tests fill the "disk" with it).
   *
   * @default {SQLite's limit}
   */
  maxPageCount?: number;
}

/**
 * Opens `path` (throwing a one-line `StoreError` if it can't be used) and
 * returns the hooks that make the room write every message to it first.
 */
export function openRoomStore(
  path: string,
  keep: Retention,
  historySize: number | undefined,
  options: RoomStorageOptions,
): StoreHooks {
  const store = RoomStore.open(path, {
    keep,
    maxPageCount: options.maxPageCount,
    onWriteFailure: (error) =>
      options.show(
        `*** Storage failed (${error.message}); the room goes on in memory only.`,
      ),
  });
  const messages = store.recent(historySize ?? 20);
  options.show(
    `*** History: ${path} (${describeKeep(keep)}); ${
      messages.length === 1 ? "1 message" : `${messages.length} messages`
    } to show newcomers, ids from ${store.lastId + 1}.`,
  );
  return {
    restore: { lastId: store.lastId, messages },
    onMessage: ({ id, time, kind, from, text }) =>
      store.append({ id, time, kind, from, text }),
    onClear: () => store.clear(),
    close: () => store.close(),
  };
}

function describeKeep(keep: Retention): string {
  return "days" in keep
    ? `keeps ${keep.days} day${keep.days === 1 ? "" : "s"}`
    : `keeps the last ${keep.rows} messages`;
}
