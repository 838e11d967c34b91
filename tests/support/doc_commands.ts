/**
 * Every command the documentation shows a reader: fenced `sh` blocks, the
 * Windows blocks (`powershell`, `bat`), inline code that starts with a
 * command, and the commands in `compose.yaml` and the `Dockerfile`.
 *
 * @module
 */

import { codeBlocks, readDoc, shellCommands } from "./docs.ts";

/**
 * The documented Docker commands, for the Docker test to run (CI has no
 * Docker engine, so tests/doc_commands_test.ts only checks that each
 * documented one is listed here).
 */
export const DOCKER_COMMANDS: readonly string[] = [
  "docker compose up --build --abort-on-container-exit",
  "docker compose build",
  "docker compose down",
  "docker compose run --rm --use-aliases server deno run --allow-net server.ts --host 0.0.0.0",
  "docker compose run --rm --no-deps client deno run --allow-net client.ts --host server",
  "docker compose run --rm --use-aliases server deno run --allow-net --allow-env=CHATLAB_PASSWORD server.ts --room --host 0.0.0.0 --name teacher",
  "docker compose run --rm --no-deps client deno run --allow-net client.ts --host server --name alice",
  "docker compose run --rm --no-deps client deno run --allow-net client.ts --host server --name bob",
  "docker build -t chatlab .",
  "docker run --rm -it -p 5555:5555 chatlab",
  // The Dockerfile's CMD: what `docker run chatlab` runs.
  "deno run --allow-net --allow-env=CHATLAB_PASSWORD server.ts --host 0.0.0.0",
];

/** The Markdown files whose commands are collected. */
export const DOC_FILES: readonly string[] = [
  "README.md",
  "PROTOCOL.md",
  "CONTRIBUTING.md",
];

/** A command as the documentation shows it. */
export interface DocCommand {
  /** The file it is in. */
  file: string;
  /** `sh` for POSIX shells, else the Windows shell it is written for. */
  shell: "sh" | "powershell" | "bat";
  /** Its exact text (continuation lines joined with `\` and a newline). */
  text: string;
}

/** Program names that prose mentions: inline code, but not commands. */
const MENTIONS = new Set([
  "nc",
  "deno",
  "npx",
  "ip",
  "openssl",
  "docker-compose",
  "deno run",
  "deno task",
  "deno task proxy",
  "docker",
  "docker build",
  "docker run",
  "docker import",
  "docker compose ...",
  "docker-compose ...",
  "openssl s_client",
  "bash .ci/run",
  "docker compose run",
]);

/** Inline code that starts with one of these is a command a reader may type. */
const COMMAND_START =
  /^(deno|npx|nc|openssl|docker|docker-compose|sudo|bash|ipconfig|hostname|ip|New-NetFirewallRule|Remove-NetFirewallRule|CHATLAB_PASSWORD=\S*|\.\/(server|client)\.ts)( |$)/;

/** Every command in the documentation, each once per file. */
export function documentedCommands(): DocCommand[] {
  const found: DocCommand[] = [];
  const add = (command: DocCommand) => {
    if (
      !found.some((seen) =>
        seen.file === command.file && seen.text === command.text
      )
    ) found.push(command);
  };
  for (const file of DOC_FILES) {
    const markdown = readDoc(file);
    for (const block of codeBlocks(markdown)) {
      if (block.language === "sh") {
        for (const text of shellCommands(block.text)) {
          add({ file, shell: "sh", text });
        }
      } else if (
        block.language === "powershell" || block.language === "bat"
      ) {
        for (const text of block.text.split("\n").filter((l) => l.trim())) {
          add({ file, shell: block.language, text });
        }
      }
    }
    const prose = markdown.replace(/^```\w*\n[\s\S]*?^```$/gm, "");
    for (const match of prose.matchAll(/`([^`\n]+)`/g)) {
      if (!MENTIONS.has(match[1]) && COMMAND_START.test(match[1])) {
        add({ file, shell: "sh", text: match[1] });
      }
    }
  }
  for (const text of composeCommands()) {
    add({ file: "compose.yaml", shell: "sh", text });
  }
  for (const text of dockerfileCommands()) {
    add({ file: "Dockerfile", shell: "sh", text });
  }
  return found;
}

/** The shell lines of `compose.yaml`'s services (`exec ...`). */
function composeCommands(): string[] {
  return readDoc("compose.yaml").split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("exec "));
}

/** The `RUN` and `CMD` instructions of the `Dockerfile`, as shell lines. */
function dockerfileCommands(): string[] {
  const commands: string[] = [];
  for (const line of readDoc("Dockerfile").split("\n")) {
    const match = line.match(/^(RUN|CMD) (.*)$/);
    if (!match) continue;
    const body = match[2].trim();
    commands.push(
      body.startsWith("[") ? (JSON.parse(body) as string[]).join(" ") : body,
    );
  }
  return commands;
}
