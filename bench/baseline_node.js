#!/usr/bin/env node
// @ts-check
// The obvious next step after the lesson, in Node.js: one `net` server, many
// clients, every line relayed to everyone else. A benchmark baseline: written
// the way a tutorial would, neither slowed down nor tuned (Nagle's algorithm
// stays on, as Node leaves it; nothing limits what is queued for a client).
//
// Usage: node bench/baseline_node.js [PORT]   (0 picks a free port)
import net from "node:net";
import readline from "node:readline";

const port = Number(process.argv[2] ?? 5555);
/** @type {Set<net.Socket>} */
const clients = new Set();

/**
 * Sends `text` to every client except `sender`.
 * @param {string} text
 * @param {net.Socket} sender
 */
function broadcast(text, sender) {
  for (const client of clients) {
    if (client !== sender) client.write(text);
  }
}

const server = net.createServer((socket) => {
  /** @type {string | null} */
  let name = null;
  const lines = readline.createInterface({
    input: socket,
    crlfDelay: Infinity,
  });
  lines.on("line", (line) => {
    if (name === null) {
      // The first line is the client's name.
      name = line.trim();
      clients.add(socket);
      socket.write(`*** Hello ${name}!\n`);
      broadcast(`*** ${name} joined\n`, socket);
    } else {
      broadcast(`<${name}> ${line}\n`, socket);
    }
  });
  socket.on("close", () => {
    if (clients.delete(socket)) broadcast(`*** ${name} left\n`, socket);
  });
  // A client that vanishes (a reset) must not take the server down; readline
  // passes the socket's errors on, so both need a listener.
  socket.on("error", () => socket.destroy());
  lines.on("error", () => {});
});

server.listen(port, "127.0.0.1", () => {
  const address = /** @type {net.AddressInfo} */ (server.address());
  console.log(`Listening on 127.0.0.1:${address.port}`);
});
