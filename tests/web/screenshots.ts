#!/usr/bin/env -S deno run --allow-all
// `deno task screenshots`: pictures of the chat page for the README (light
// and dark, desktop and a 360 px phone), from a real room in Chromium.

import { launchBrowser } from "../support/browser.ts";
import { RawClient } from "../support/raw_client.ts";
import { runScript } from "../support/process.ts";

const OUT = new URL("../../docs/", import.meta.url).pathname;

/** Makes one picture: a fresh room, a page joined as ana, a little chat. */
async function screenshot(
  path: string,
  viewport: { width: number; height: number },
  colorScheme: "light" | "dark",
): Promise<void> {
  await using server = runScript("server.ts", [
    "--room",
    "--port",
    "0",
    "--web",
    "0",
    "--name",
    "teacher",
  ]);
  const port = Number(
    (await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/))[1],
  );
  const url =
    (await server.stdout.waitForMatch(/^Open in a browser: (\S+)$/))[1];
  await server.stdout.waitForContaining("*** Room open as");
  await using bob = await RawClient.join(port, "bob");
  await server.writeLines("/topic Sockets, part 2: framing");
  await server.writeLines("Welcome! Today: why a chat needs framing.");
  await bob.send("hi all!", "/me opens the lesson");
  await server.stdout.waitForContaining("* bob opens the lesson");

  await using browser = await launchBrowser();
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel("Name").fill("ana");
  await page.getByLabel("Name").press("Enter");
  await page.getByRole("log").getByText("Hello").first().waitFor();
  await bob.send("ana: page 12, the second exercise");
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("thanks! accents work too: é, ü, ñ");
  await box.press("Enter");
  await bob.send("/msg ana want to pair up?");
  await page.getByRole("log").getByText("want to pair up").first().waitFor();
  await box.fill("half-typed while reading");
  await page.screenshot({ path });
}

async function main(): Promise<void> {
  Deno.mkdirSync(OUT, { recursive: true });
  for (const scheme of ["light", "dark"] as const) {
    await screenshot(`${OUT}page-desktop-${scheme}.png`, {
      width: 1000,
      height: 520,
    }, scheme);
    await screenshot(`${OUT}page-phone-${scheme}.png`, {
      width: 360,
      height: 640,
    }, scheme);
  }
  console.log(`Wrote 4 screenshots to ${OUT}`);
}

if (import.meta.main) await main();
