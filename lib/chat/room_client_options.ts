/**
 * What `chatInRoom` (`room_client.ts`) is given and how it ends: kept apart
 * so the client's contract reads on its own, next to the loop that keeps it.
 *
 * @module
 */

import type { ChatConsole } from "./chat_console.ts";
import type { BackoffOptions } from "./backoff.ts";

/** How a room chat ended. */
export type RoomEnd = "input ended" | "disconnected" | "stopped";

/** How long the client waits for a room's first line. */
export const WELCOME_TIMEOUT_MS = 10_000;

/** Options for `chatInRoom` (`room_client.ts`); the waits between tries are {@linkcode BackoffOptions}. */
export interface RoomClientOptions extends BackoffOptions {
  /** Makes a new connection to the room (for each reconnect). */
  connect: () => Promise<Deno.Conn>;
  /** The name to join as. */
  name: string;
  /** The room's passphrase, if it has one. */
  password?: string;
  /**
   * What to say when the room asks for a passphrase this client lacks.
   *
   * @default {"This room needs a password"}
   */
  passwordHelp?: string;
  /** The longest line, in bytes. */
  maxLineBytes: number;
  /** Ends the chat at once (Ctrl+C). */
  signal?: AbortSignal;
  /**
   * Where typing comes from and lines are shown.
   *
   * @default {a ChatConsole on the terminal}
   */
  screen?: Pick<ChatConsole, "show" | "typedLines" | "flush">;
}

/** Thrown when the room asks for a passphrase this client doesn't have. */
export class PasswordNeededError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "PasswordNeededError";
  }
}
