import { assertEquals, assertOk } from "./support/assert.ts";
import { RunningProcess, startServer, WAIT_MS } from "./support/process.ts";
import { testNeeding } from "./support/requires.ts";
import { NEEDS_TMUX } from "./support/programs.ts";

/** Runs tmux with `args` and returns its stdout. */
async function tmux(...args: string[]): Promise<string> {
  const { stdout, success } = await new Deno.Command("tmux", { args }).output();
  assertOk(success, `tmux ${args.join(" ")} failed`);
  return new TextDecoder().decode(stdout);
}

/** Waits until the pane's screen satisfies `check`; returns its lines. */
async function waitForScreen(
  session: string,
  check: (lines: string[]) => boolean,
): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS;
  while (true) {
    const lines = (await tmux("capture-pane", "-p", "-t", session)).split("\n")
      .map((line) => line.trimEnd()).filter((line) => line !== "");
    if (check(lines)) return lines;
    if (Date.now() > deadline) {
      throw new Error(`Screen never matched; it shows:\n${lines.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

testNeeding(
  NEEDS_TMUX,
  "chat client in a terminal prints incoming lines above the half-typed input",
  async () => {
    const { server, port } = await startServer(["--mode", "chat"]);
    await using _server: RunningProcess = server;
    const session = `chatlab-test-${Deno.pid}`;
    await tmux(
      "new-session",
      "-d",
      "-s",
      session,
      "-x",
      "100",
      "-y",
      "20",
      `${Deno.execPath()} run --allow-net client.ts --port ${port} --mode chat`,
    );
    try {
      await waitForScreen(session, (lines) => lines.at(-1) === "You:");
      await server.stdout.waitForMatch(/^Connected to /);
      await tmux("send-keys", "-t", session, "-l", "half typ");
      await waitForScreen(session, (lines) => lines.at(-1) === "You: half typ");

      await server.writeLines("an incoming line");
      // The message sits on its own line, and the input is redrawn under it.
      // (tmux may show a redraw half done, so wait for the screen to settle.)
      const expected = ["Received: an incoming line", "You: half typ"];
      const screen = await waitForScreen(
        session,
        (lines) => lines.slice(-2).join("\n") === expected.join("\n"),
      );
      // Nothing was clobbered: the half-typed text appears once, intact.
      assertEquals(screen.filter((line) => line.includes("half typ")), [
        "You: half typ",
      ]);

      await tmux("send-keys", "-t", session, "-l", "ed");
      await tmux("send-keys", "-t", session, "Enter");
      await server.stdout.waitForLine("Received: half typed");

      // A line typed and sent in one burst (a paste) stays on screen too.
      await tmux("send-keys", "-t", session, "pasted line", "Enter");
      await server.stdout.waitForLine("Received: pasted line");
      await waitForScreen(
        session,
        (lines) => lines.slice(-2).join("\n") === "You: pasted line\nYou:",
      );
    } finally {
      await tmux("kill-session", "-t", session).catch(() => {});
    }
  },
);
