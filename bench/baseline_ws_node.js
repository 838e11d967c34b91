#!/usr/bin/env node
// @ts-check
// The standard Node.js WebSocket broadcast server (npm `ws`, as its README
// shows it), joined to bench/baseline_node.js's TCP room: one room, both
// kinds of client. A benchmark baseline, written the way a tutorial would:
// neither slowed down nor tuned (nothing limits what is queued for a client).
//
// A WebSocket client's first frame is `{"type":"line","text":NAME}`, then
// `{"type":"line","text":LINE}` for each line; it gets events as chatlab's
// page does (a subset of PROTOCOL.md's): `{"type":"event","kind":"say",
// "from":NAME,"text":LINE}` and `{"type":"event","kind":"notice","text":...}`.
// The server serializes each event once for all WebSocket receivers and
// acknowledges each numbered line (`{"type":"ack","seq":N}`), as chatlab
// does, so a sender can keep a window of lines in flight; no sessions, no
// history.
//
// Usage: node bench/baseline_ws_node.js TCP_PORT WS_PORT
// (`ws` is installed into bench/build/ by `deno task bench`)
import net from "node:net";
import readline from "node:readline";
import { createRequire } from "node:module";

const { WebSocketServer, WebSocket } = createRequire(
  new URL("./build/", import.meta.url),
)("ws");

const [tcpPort, wsPort] = process.argv.slice(2).map(Number);
/** @type {Set<net.Socket>} */
const sockets = new Set();
/**
 * A WebSocket client (npm `ws` ships no types here).
 * @typedef {{ readyState: number, send(data: string): void,
 *   on(event: string, listener: (data: unknown) => void): void,
 *   terminate(): void }} Browser
 */
/** @type {Set<Browser>} */
const browsers = new Set();

/**
 * Sends a line to every client but `sender`: as a line to TCP clients, as
 * one JSON event (serialized once) to WebSocket clients.
 * @param {string} kind
 * @param {string | null} from
 * @param {string} text
 * @param {unknown} sender
 */
function broadcast(kind, from, text, sender) {
  const line = from === null ? `*** ${text}\n` : `<${from}> ${text}\n`;
  for (const socket of sockets) if (socket !== sender) socket.write(line);
  const event = JSON.stringify({ type: "event", kind, from, text });
  for (const ws of browsers) {
    if (ws !== sender && ws.readyState === WebSocket.OPEN) ws.send(event);
  }
}

net.createServer((socket) => {
  /** @type {string | null} */
  let name = null;
  const lines = readline.createInterface({
    input: socket,
    crlfDelay: Infinity,
  });
  lines.on("line", (line) => {
    if (name === null) {
      name = line.trim();
      sockets.add(socket);
      socket.write(`*** Hello ${name}!\n`);
      broadcast("notice", null, `${name} joined`, socket);
    } else broadcast("say", name, line, socket);
  });
  socket.on("close", () => {
    if (sockets.delete(socket)) broadcast("notice", null, `${name} left`, null);
  });
  socket.on("error", () => socket.destroy());
  lines.on("error", () => {});
}).listen(tcpPort, "127.0.0.1");

new WebSocketServer({ host: "127.0.0.1", port: wsPort, path: "/ws" })
  .on("connection", (/** @type {Browser} */ ws) => {
    /** @type {string | null} */
    let name = null;
    ws.on("message", (data) => {
      const { text, seq } = JSON.parse(String(data));
      if (name === null) {
        name = String(text).trim();
        browsers.add(ws);
        ws.send(
          JSON.stringify({
            type: "event",
            kind: "notice",
            text: `Hello ${name}!`,
          }),
        );
        broadcast("notice", null, `${name} joined`, ws);
      } else {
        broadcast("say", name, text, ws);
        // "Taken", as chatlab says it: the page sends again what is not.
        if (seq !== undefined) ws.send(JSON.stringify({ type: "ack", seq }));
      }
    });
    ws.on("close", () => {
      if (browsers.delete(ws)) broadcast("notice", null, `${name} left`, null);
    });
    ws.on("error", () => ws.terminate());
  });
console.log(
  `Listening on 127.0.0.1:${tcpPort} (TCP) and :${wsPort} (WebSocket)`,
);
