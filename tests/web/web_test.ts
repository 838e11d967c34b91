// The browser page, in a real browser (Debian's Chromium driven by
// playwright-core), in the same room as nc, client.ts and raw WebSocket
// clients: lines both ways, history, privacy, hostile text, limits, the
// Origin check, and a server restart the page lives through.

import type { Page } from "playwright-core";
import { assertEquals, assertMatch, assertOk } from "../support/assert.ts";
import { launchBrowser, testInBrowser } from "../support/browser.ts";
import { RawClient } from "../support/raw_client.ts";
import { type RunningProcess, runScript } from "../support/process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { eventually, WAIT_MS, withTimeout } from "../support/wait.ts";

/** A room with its web side on a free port. */
interface WebRoom {
  server: RunningProcess;
  port: number;
  webPort: number;
  url: string;
}

async function startWebRoom(
  args: string[] = [],
  permissions: string[] = [],
  ports = { port: 0, web: 0 },
  env: Record<string, string> = {},
): Promise<WebRoom> {
  const server = runScript("server.ts", [
    "--room",
    "--port",
    String(ports.port),
    "--web",
    String(ports.web),
    ...args,
  ], { permissions, env });
  const listening = await server.stdout.waitForMatch(/^Listening on .*:(\d+)$/);
  const web = await server.stdout.waitForMatch(
    /^Open in a browser: (http:\/\/127\.0\.0\.1:(\d+)\/)$/,
  );
  await server.stdout.waitForContaining("*** Room open as");
  return {
    server,
    port: Number(listening[1]),
    webPort: Number(web[2]),
    url: web[1],
  };
}

/** Opens the page and joins as `name`. */
async function joinPage(page: Page, url: string, name: string) {
  await page.goto(url);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Name").press("Enter");
  await logLine(page, `Hello ${name}!`);
}

/** Waits (`timeout` ms at most) for the log to show a line containing `text`. */
async function logLine(page: Page, text: string, timeout = WAIT_MS) {
  await page.getByRole("log").getByText(text, { exact: false }).first()
    .waitFor({ timeout });
}

/** Types `text` into the message box and presses Enter. */
async function say(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

/** The log's lines, without their times. */
async function logTexts(page: Page): Promise<string[]> {
  const pairs = await page.locator("#log li").evaluateAll((items) =>
    items.map((item) => [
      item.querySelector("time")?.textContent ?? "",
      item.textContent ?? "",
    ])
  );
  return pairs.map(([time, text]) => text.slice(time.length));
}

testInBrowser(
  "two pages, nc and client.ts share one room, lines attributed by the server",
  async () => {
    const room = await startWebRoom(["--rate-limit", "off"]);
    await using _server = room.server;
    await using browser = await launchBrowser();
    const ann = await browser.newPage();
    const ben = await browser.newPage();
    await joinPage(ann, room.url, "ann");
    await joinPage(ben, room.url, "ben");
    await using nc = await RawClient.join(room.port, "nc_user");
    await using client = runScript("client.ts", [
      "--port",
      String(room.port),
      "--name",
      "carol",
    ]);
    await client.stdout.waitForContaining("*** Hello carol!");

    await say(ann, "hello from ann's browser é 漢字 😀");
    await nc.waitForLineStarting("<ann> hello from ann's browser é 漢字 😀");
    await client.stdout.waitForContaining(
      "<ann> hello from ann's browser é 漢字 😀",
    );
    await logLine(ben, "<ann> hello from ann's browser é 漢字 😀");
    await room.server.stdout.waitForContaining(
      "<ann> hello from ann's browser",
    );

    await nc.send("hi from nc", "/me waves");
    await client.writeLines("hi from client.ts");
    for (const page of [ann, ben]) {
      await logLine(page, "<nc_user> hi from nc");
      await logLine(page, "* nc_user waves");
      await logLine(page, "<carol> hi from client.ts");
    }
    // The server names the sender: a page can't pretend to be someone else.
    await say(ben, "<ann> I am ann");
    await nc.waitForLineStarting("<ben> <ann> I am ann");
    // Who is here, live.
    await ann.locator("#who").getByText("carol").waitFor();
    assertEquals(await ann.locator("#who-count").textContent(), "5");
    // Own lines are shown once, marked as own, and acknowledged.
    const own = await ann.locator("#log li.own").allTextContents();
    assertEquals(own.length, 1);
    assertOk(own[0].includes("<ann> hello from ann's browser"));
    assertEquals(await ann.locator("#log li.pending").count(), 0);
  },
);

testInBrowser(
  "a page joining late sees the last messages apart from live ones; /msg reaches only its target",
  async () => {
    const room = await startWebRoom();
    await using _server = room.server;
    await using nc = await RawClient.join(room.port, "teacher");
    await nc.send("first lesson note", "second lesson note");
    await room.server.stdout.waitForContaining("<teacher> second lesson note");
    await using browser = await launchBrowser();
    const ann = await browser.newPage();
    const ben = await browser.newPage();
    await joinPage(ann, room.url, "ann");
    await joinPage(ben, room.url, "ben");
    const texts = await logTexts(ann);
    const start = texts.indexOf("Earlier messages");
    assertOk(start >= 0, texts.join(" | "));
    assertEquals(texts.slice(start, start + 4), [
      "Earlier messages",
      "<teacher> first lesson note",
      "<teacher> second lesson note",
      "New messages",
    ]);
    await say(ann, "/msg ben psst, page 12");
    await logLine(ben, "private from ann: psst, page 12");
    await logLine(ann, "private to ben: psst, page 12");
    await say(ann, "after the secret");
    await nc.waitForLineStarting("<ann> after the secret");
    assertOk(!nc.lines.some((line) => line.includes("psst")));
    await room.server.stdout.waitForContaining("<ann> after the secret");
    assertOk(!room.server.stdout.text.includes("psst"));
  },
);

const HOSTILE = [
  `<img src=x onerror="window.__pwned=1">`,
  `</script><script>window.__pwned=2</script>`,
  `<a href="javascript:window.__pwned=3">click me</a>`,
  `javascript:window.__pwned=4`,
  `see https://example.org/safe and javascript:alert(5)`,
  `invoice\u202Efdp.exe`,
  `\x1b]0;owned\x07\x1b[2J red`,
  `Z${"\u0336".repeat(500)}!`,
];

/** Lines of about 1000 bytes: a tab's buffers fill in thousands, not millions. */
function floodLines(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `flood ${String(i).padStart(5, "0")} ${"x".repeat(980)}`,
  );
}

testInBrowser(
  "a tab that stops reading is dropped while another tab and nc keep every line, and catches up once it reads again",
  async () => {
    const room = await startWebRoom(["--rate-limit", "off"]);
    await using _server = room.server;
    await using browser = await launchBrowser();
    const frozen = await browser.newPage();
    const reader = await browser.newPage();
    await joinPage(frozen, room.url, "frozen");
    await joinPage(reader, room.url, "reader");
    await using watcher = await RawClient.join(room.port, "watcher");
    await using sender = await RawClient.join(room.port, "sender");
    // The tab's script stops at its next statement (the next frame's
    // handler): from then on nothing takes the socket's frames, and once
    // Chromium's and the kernel's buffers are full, the server's queue grows.
    const debug = await frozen.context().newCDPSession(frozen);
    await debug.send("Debugger.enable");
    await debug.send("Debugger.pause");

    // 6 MB: more than loopback's socket buffers and Chromium's hold (the
    // tab was dropped near the 4000th line here).
    const lines = floodLines(6_000);
    await sender.send(...lines);
    await room.server.stdout.waitForLine(
      "*** frozen left (not reading messages fast enough)",
    );
    const last = `<sender> ${lines.at(-1)}`;
    await watcher.waitForLine(last);
    assertEquals(
      watcher.lines.filter((line) => line.startsWith("<sender> ")),
      lines.map((line) => `<sender> ${line}`),
    );
    // Running again, the tab reconnects by itself (close code 1013) and its
    // session catches it up: every line once, in order. Resumed before the
    // other tab is checked, which can take a slow machine longer than the
    // session's 60 s hold (after which the tab would join as someone new).
    await debug.send("Debugger.resume");
    await logLine(reader, lines.at(-1)!, 8 * WAIT_MS);
    const said = (texts: string[]) =>
      texts.filter((text) => text.startsWith("<sender> flood "));
    assertEquals(
      said(await logTexts(reader)),
      lines.map((l) => `<sender> ${l}`),
    );
    assertOk(
      !room.server.stdout.lines.some((line) =>
        /^\*\*\* (reader|watcher|sender) left/.test(line)
      ),
      "only the frozen tab was dropped",
    );
    await logLine(frozen, lines.at(-1)!, 8 * WAIT_MS);
    assertEquals(
      said(await logTexts(frozen)),
      lines.map((l) => `<sender> ${l}`),
    );
  },
);

testInBrowser(
  "hostile text shows as inert text: no element made, no script run, no dialog",
  async () => {
    const room = await startWebRoom(["--rate-limit", "off"]);
    await using _server = room.server;
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    let dialogs = 0;
    page.on("dialog", async (dialog) => {
      dialogs++;
      await dialog.dismiss();
    });
    await joinPage(page, room.url, "ann");
    await using mallory = await RawClient.join(room.port, "mallory");
    await mallory.send(...HOSTILE, "END");
    await logLine(page, "<mallory> END");
    const log = page.locator("#log");
    assertEquals(
      await log.locator("img, script, iframe, object, embed").count(),
      0,
    );
    assertEquals(
      await page.evaluate(() =>
        (globalThis as { __pwned?: number }).__pwned ?? 0
      ),
      0,
    );
    assertEquals(dialogs, 0);
    // Only http(s) becomes a link, and it opens apart from this page.
    const links = await log.locator("a").evaluateAll((as) =>
      as.map((a) => [a.getAttribute("href"), a.getAttribute("rel")])
    );
    assertEquals(links, [["https://example.org/safe", "noopener noreferrer"]]);
    const texts = (await logTexts(page)).join("\n");
    assertOk(
      texts.includes(`<mallory> <img src=x onerror="window.__pwned=1">`),
    );
    assertOk(texts.includes("invoice<U+202E>fdp.exe"));
    assertOk(texts.includes("^[]0;owned^G^[[2J red"));
    // Combining marks are cut to 8 by the server's sanitizer.
    assertOk(texts.includes(`Z${"\u0336".repeat(8)}!`));
  },
);

testInBrowser(
  "the page refuses a line over 1024 bytes, and a 1 MB paste, without losing the connection",
  async () => {
    const room = await startWebRoom();
    await using _server = room.server;
    await using nc = await RawClient.join(room.port, "watcher");
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await joinPage(page, room.url, "ann");
    const box = page.getByRole("textbox", { name: "Message" });
    await box.fill("é".repeat(513)); // 1026 bytes of UTF-8
    assertEquals(
      await page.locator("#bytes").textContent(),
      "1026 / 1024 bytes",
    );
    await box.press("Enter");
    assertEquals(
      await page.locator("#send-error").textContent(),
      "Not sent: a line is 1026 bytes; the limit is 1024 bytes. Shorten it or split it.",
    );
    await box.fill("x".repeat(1024 * 1024));
    await box.press("Enter");
    assertMatch(
      (await page.locator("#send-error").textContent())!,
      /^Not sent: a line is 1048576 bytes; the limit is 1024 bytes/,
    );
    // A multi-line paste asks first, then sends one message per line.
    await box.fill("line one\nline two");
    await box.press("Enter");
    assertMatch(
      (await page.locator("#send-error").textContent())!,
      /^This sends 2 separate messages/,
    );
    await box.press("Enter");
    await nc.waitForLineStarting("<ann> line one");
    await nc.waitForLineStarting("<ann> line two");
    assertEquals(nc.lines.filter((l) => l.includes("x".repeat(100))), []);
  },
);

testInBrowser(
  "the server's line limit and flood guard apply to a WebSocket client",
  async () => {
    const room = await startWebRoom();
    await using _server = room.server;
    const socket = new WebSocket(`ws://127.0.0.1:${room.webPort}/ws`);
    const frames: { type: string; kind?: string; text?: string }[] = [];
    const closed = new Promise<CloseEvent>((resolve) =>
      socket.addEventListener("close", resolve)
    );
    // A frame holds one JSON object per line (PROTOCOL.md).
    socket.addEventListener("message", (event) => {
      for (const line of String(event.data).split("\n")) {
        frames.push(JSON.parse(line));
      }
    });
    await new Promise((resolve) => socket.addEventListener("open", resolve));
    socket.send(JSON.stringify({ type: "line", text: "robot" }));
    await eventually(
      "the expected frames",
      () => frames.some((f) => f.type === "state" && "members" in f),
    );
    socket.send(
      JSON.stringify({ type: "line", text: "y".repeat(1100), seq: 1 }),
    );
    await eventually(
      "the expected frames",
      () => frames.some((f) => f.kind === "error"),
    );
    assertEquals(
      frames.find((f) => f.kind === "error")!.text,
      "Your line was 1100 bytes; the limit is 1024 bytes, so it was not sent",
    );
    for (let seq = 2; seq < 200; seq++) {
      socket.send(JSON.stringify({ type: "line", text: `spam ${seq}`, seq }));
    }
    // The room drops it as it drops a flooding TCP client, and says why.
    await room.server.stdout.waitForContaining(
      "*** robot left (flooding (too many lines too fast))",
    );
    await withTimeout(closed, "the socket to close");
  },
);

testInBrowser(
  "a WebSocket from another site's page is refused with 403",
  async () => {
    const room = await startWebRoom();
    await using _server = room.server;
    for (
      const [origin, status] of [
        ["http://evil.example", 403],
        [`http://127.0.0.1:${room.webPort}`, 101],
      ] as const
    ) {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: room.webPort,
      });
      await conn.write(new TextEncoder().encode(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${room.webPort}\r\nOrigin: ${origin}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ));
      const buffer = new Uint8Array(512);
      const count = await conn.read(buffer);
      conn.close();
      const head = new TextDecoder().decode(buffer.subarray(0, count ?? 0));
      assertMatch(head, new RegExp(`^HTTP/1.1 ${status} `), origin);
    }
    // Plain HTTP: the page's headers, nothing else served.
    const page = await fetch(room.url);
    assertEquals(page.status, 200);
    assertMatch(
      page.headers.get("content-security-policy")!,
      /script-src 'self'/,
    );
    assertEquals(page.headers.get("x-content-type-options"), "nosniff");
    await page.body?.cancel();
    for (const path of ["/../deno.json", "/lib/", "/server.ts"]) {
      const response = await fetch(`http://127.0.0.1:${room.webPort}${path}`);
      assertEquals(response.status, 404, path);
      await response.body?.cancel();
    }
    const post = await fetch(room.url, { method: "POST", body: "x" });
    assertEquals(post.status, 405);
    await post.body?.cancel();
  },
);

testInBrowser(
  "a --db room restarted: the page reconnects by itself and shows every line exactly once",
  async () => {
    using temp = tempDir("chatlab-web-");
    const db = `${temp.path}/class.sqlite`;
    const permissions = [
      `--allow-read=${temp.path}`,
      `--allow-write=${temp.path}`,
    ];
    let room = await startWebRoom(["--db", db], permissions);
    const ports = { port: room.port, web: room.webPort };
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    try {
      await joinPage(page, room.url, "ann");
      const nc = await RawClient.join(room.port, "teacher");
      await nc.send("before 1", "before 2");
      await logLine(page, "<teacher> before 2");
      await say(page, "mine before");
      await room.server.stdout.waitForContaining("<ann> mine before");
      await nc[Symbol.asyncDispose]();
      room.server.child.kill("SIGKILL");
      await room.server.child.status;
      await room.server[Symbol.asyncDispose]();
      await logLine(page, "reconnecting");
      // Typed while the server is down: kept, and sent once it is back.
      await say(page, "typed while down");
      room = await startWebRoom(["--db", db], permissions, ports);
      await logLine(page, "Reconnected");
      await room.server.stdout.waitForContaining("<ann> typed while down");
      await using nc2 = await RawClient.join(room.port, "teacher2");
      await nc2.send("after 1");
      await logLine(page, "<teacher2> after 1");
      const said = (await logTexts(page)).filter((t) =>
        /^<(ann|teacher2?)> /.test(t)
      );
      assertEquals(said, [
        "<teacher> before 1",
        "<teacher> before 2",
        "<ann> mine before",
        "<ann> typed while down",
        "<teacher2> after 1",
      ]);
      assertEquals(await page.locator("#log li.pending").count(), 0);
    } finally {
      await room.server[Symbol.asyncDispose]();
    }
  },
);

testInBrowser(
  "with a passphrase the page asks for it first; a wrong one is refused",
  async () => {
    const room = await startWebRoom([], [], { port: 0, web: 0 }, {
      CHATLAB_PASSWORD: "sesame",
    });
    await using _server = room.server;
    await using browser = await launchBrowser();
    const wrong = await browser.newPage();
    await wrong.goto(room.url);
    await wrong.getByLabel("Passphrase").fill("guess");
    await wrong.getByLabel("Passphrase").press("Enter");
    await logLineOrStatus(wrong, "Disconnected: wrong password");
    const page = await browser.newPage();
    await page.goto(room.url);
    await page.getByLabel("Passphrase").fill("sesame");
    await page.getByLabel("Passphrase").press("Enter");
    await page.getByLabel("Name").fill("ann");
    await page.getByLabel("Name").press("Enter");
    await logLine(page, "Hello ann!");
  },
);

/** Waits for `text` in the status line or the log. */
async function logLineOrStatus(page: Page, text: string) {
  await page.getByText(text, { exact: false }).first().waitFor({
    timeout: WAIT_MS,
  });
}

testInBrowser(
  "browsers and TCP clients count together against the per-address limit",
  async () => {
    const room = await startWebRoom(["--max-per-address", "2"]);
    await using _server = room.server;
    await using tcp = await RawClient.join(room.port, "tcp_one");
    await using browser = await launchBrowser();
    const first = await browser.newPage();
    await joinPage(first, room.url, "web_one");
    const third = await browser.newPage();
    await third.goto(room.url);
    await logLineOrStatus(
      third,
      "too many connections from 127.0.0.1 (the limit is 2)",
    );
    assertOk(tcp.lines.some((line) => line.includes("web_one joined")));
  },
);

testInBrowser(
  "Ctrl+C on the server tells every page it is shutting down",
  async () => {
    const room = await startWebRoom();
    await using _server = room.server;
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await joinPage(page, room.url, "ann");
    room.server.child.kill("SIGINT");
    await logLine(page, "Disconnected: the server is shutting down");
    await logLineOrStatus(page, "reconnecting");
    assertEquals((await room.server.child.status).code, 0);
  },
);

testInBrowser(
  "with --tls-cert the page is HTTPS and the room's socket WSS, on one port",
  async () => {
    const { TestCertificate } = await import("../support/tls.ts");
    await using certificate = await TestCertificate.create();
    const server = runScript("server.ts", [
      "--room",
      "--port",
      "0",
      "--web",
      "0",
      "--tls-cert",
      certificate.certFile,
      "--tls-key",
      certificate.keyFile,
    ], { permissions: [`--allow-read=${certificate.dir}`] });
    await using _server = server;
    const url = (await server.stdout.waitForMatch(
      /^Open in a browser: (https:\/\/127\.0\.0\.1:\d+\/)$/,
    ))[1];
    await using browser = await launchBrowser();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await joinPage(page, url, "ann");
    await say(page, "over TLS");
    await server.stdout.waitForContaining("<ann> over TLS");
    assertEquals(new URL(page.url()).protocol, "https:");
  },
);
