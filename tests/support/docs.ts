/**
 * Reading the commands and tables that chatlab's documentation shows, so
 * tests run what a reader types exactly as written: change the docs, and the
 * tests run the new text.
 *
 * @module
 */

import { ROOT } from "./paths.ts";

/** The text of a file in the repository, such as `README.md`. */
export function readDoc(path: string): string {
  return Deno.readTextFileSync(`${ROOT}${path}`);
}

/** A fenced code block: its language tag and its lines. */
export interface CodeBlock {
  /** The tag after the opening fence (`sh`, `powershell`, ...), or `""`. */
  language: string;
  /** The block's text, without the fences. */
  text: string;
}

/** Every fenced code block of a Markdown text, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    blocks.push({ language: match[1], text: match[2] });
  }
  return blocks;
}

/**
 * The commands in a shell block: one per line, a line ending in `\` joined
 * with the next (as the shell does), blank and comment-only lines left out.
 * A trailing `# comment` stays: the shell ignores it, and it is part of what
 * the reader copies.
 */
export function shellCommands(block: string): string[] {
  const commands: string[] = [];
  let pending = "";
  for (const line of block.split("\n")) {
    if (line.endsWith("\\")) {
      pending += line + "\n";
      continue;
    }
    const command = pending + line;
    pending = "";
    if (command.trim() === "" || command.trim().startsWith("#")) continue;
    commands.push(command);
  }
  return commands;
}

/**
 * The rows of the Markdown table whose header row starts with the cell
 * `firstHeader`, each row as its cells (trimmed). Fails when there is no such
 * table, so a renamed column cannot silently turn a test into a no-op.
 */
export function markdownTable(
  markdown: string,
  firstHeader: string,
): string[][] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) =>
    line.startsWith("|") && cellsOf(line)[0] === firstHeader
  );
  if (start === -1) {
    throw new Error(`No table with a first column "${firstHeader}"`);
  }
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(cellsOf(line));
  }
  return rows;
}

/** The text inside every pair of backticks in `text`. */
export function inlineCode(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
}

function cellsOf(row: string): string[] {
  return row.slice(1, row.endsWith("|") ? -1 : undefined).split("|")
    .map((cell) => cell.trim());
}
