/**
 * `server.ts --room --web PORT`: the chat page and the room over a
 * WebSocket, on one port, from the same process and the same room as the
 * TCP clients. With the room's TLS certificate, the page is HTTPS and the
 * socket WSS.
 *
 * @module
 */

import { originAllowed, securityHeaders, servePage } from "./http_handler.ts";
import { WsMember, type WsRoom } from "./ws_member.ts";

/** Options for {@linkcode serveWeb}. */
export interface WebOptions {
  /** The address to listen on. */
  hostname: string;
  /** The port; 0 picks a free one. */
  port: number;
  /**
   * Origins besides the page's own that may open the WebSocket.
   *
   * @default {[]}
   */
  extraOrigins?: readonly string[];
  /** The certificate and key, read already, for HTTPS and WSS. */
  tls?: { cert: string; key: string };
}

/** The web side of a room, running. */
export interface WebServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops accepting; open sockets are closed by the room. */
  shutdown(): Promise<void>;
}

/** Serves the page and the WebSocket for `room`. */
export function serveWeb(room: WsRoom, options: WebOptions): WebServer {
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    ...(options.tls ?? {}),
    onListen: () => {},
    onError: () =>
      new Response("Internal error\n", {
        status: 500,
        headers: securityHeaders(),
      }),
  }, (request, info) => {
    if (new URL(request.url).pathname !== "/ws") return servePage(request);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      const headers = securityHeaders();
      return new Response("This is the chat's WebSocket\n", {
        status: 426,
        headers,
      });
    }
    if (!originAllowed(request, options.extraOrigins)) {
      return new Response("Forbidden: this page may not join the room\n", {
        status: 403,
        headers: securityHeaders(),
      });
    }
    // Read before the upgrade: after it, the request is closed.
    const address = (info.remoteAddr as Deno.NetAddr).hostname;
    const { socket, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: 60,
    });
    new WsMember(socket, address, room);
    return response;
  });
  return {
    port: server.addr.port,
    shutdown: () => server.shutdown(),
  };
}
