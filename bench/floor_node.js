#!/usr/bin/env node
// @ts-check
// The least a Node.js server can hold per idle TCP client: a `net.Socket`
// with a `data` listener. A benchmark reference for memory, not a chat
// server: it greets each client once its name line comes, as the baselines
// do, and ignores everything after.
//
// Usage: node bench/floor_node.js [PORT]   (0 picks a free port)
import net from "node:net";

const port = Number(process.argv[2] ?? 0);

const server = net.createServer((socket) => {
  let greeted = false;
  socket.on("data", (bytes) => {
    if (!greeted && bytes.includes(10)) {
      greeted = true;
      socket.write("*** Hello!\n");
    }
  });
  socket.on("error", () => socket.destroy());
});

server.listen(port, "127.0.0.1", () => {
  const address = /** @type {net.AddressInfo} */ (server.address());
  console.log(`Listening on 127.0.0.1:${address.port}`);
});
