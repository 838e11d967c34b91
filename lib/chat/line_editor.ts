/**
 * A line editor on a terminal: `node:readline` in terminal mode, and the few
 * things readline lets a program do to it from outside (wipe it, put text
 * in, set the line), each redrawing correctly however many rows the line
 * wraps to, and after a resize.
 *
 * @module
 */

import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { interrupt } from "../cli/interrupt.ts";
import { TerminalOutput } from "./terminal_output.ts";

/** What {@linkcode openEditor} needs besides its streams. */
export interface EditorOptions {
  prompt: string;
  completer?: (line: string) => [string[], string];
  history?: string[];
}

/** A readline interface in terminal mode, with Ctrl+C as an interrupt. */
export function openEditor(
  input: Readable,
  terminal: Writable,
  options: EditorOptions,
): Interface {
  const output = new TerminalOutput(terminal);
  const editor = createInterface({
    input,
    output,
    terminal: true,
    prompt: options.prompt,
    completer: options.completer,
    history: options.history,
    historySize: 1000,
    // A repeated line is recalled once, as in most shells.
    removeHistoryDuplicates: true,
    tabSize: 4,
  });
  // Raw mode turns Ctrl+C into a key: do what the signal would have done.
  editor.on("SIGINT", () => interrupt());
  // On a resize the terminal rewraps the lines already on screen, so the
  // cursor's row is where the new width puts it. Readline redraws on resize
  // from the row it drew at the old width; correct that first.
  const rewrapped = () => trustCurrentWidth(editor);
  output.prependListener("resize", rewrapped);
  editor.on("close", () => {
    output.off("resize", rewrapped);
    output.detach();
  });
  return editor;
}

/** The editor's text and cursor, which readline lets us set. */
type EditableLine = { line: string; cursor: number };

/**
 * Clears the prompt and half-typed line, all the rows they wrap to, leaving
 * the cursor at the start of the first: readline redraws an empty prompt,
 * which it does knowing where its rows are.
 */
export function wipeEditor(editor: Interface): void {
  // A resize may not have been reported yet: go by the width there is now.
  trustCurrentWidth(editor);
  const prompt = editor.getPrompt();
  setEditor(editor, "", 0);
  editor.setPrompt("");
  editor.prompt(true);
  editor.setPrompt(prompt);
}

/**
 * Tells readline which row of its line the cursor is on at the current
 * width (readline remembers the row from its last redraw, which a resize
 * makes wrong).
 */
function trustCurrentWidth(editor: Interface): void {
  (editor as unknown as { prevRows: number }).prevRows =
    editor.getCursorPos().rows;
}

/** Inserts `text` at the cursor and redraws the line, however many rows it grows. */
export function insertText(editor: Interface, text: string): void {
  trustCurrentWidth(editor);
  const { line, cursor } = editor;
  setEditor(
    editor,
    line.slice(0, cursor) + text + line.slice(cursor),
    cursor + text.length,
  );
  editor.prompt(true);
}

/** Sets the editor's text and cursor (readline has no API for it). */
export function setEditor(
  editor: Interface,
  line: string,
  cursor: number,
): void {
  const editable = editor as unknown as EditableLine;
  editable.line = line;
  editable.cursor = cursor;
}
