/**
 * The web side of a room's server: the chat page's files, with headers that
 * let the page run only its own code, and the check that a WebSocket comes
 * from our own page.
 *
 * Browsers apply no CORS to WebSockets: without the `Origin` check, any page
 * on the internet could open a socket to the room as its visitor.
 *
 * @module
 */

import { PAGE_ASSETS } from "./page_assets.ts";

/** The page may load and connect to nothing but this server. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers on every HTTP answer. */
export function securityHeaders(): Headers {
  return new Headers({
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
  });
}

/** Answers a plain HTTP request: a page file, 404, or 405 for other methods. */
export function servePage(request: Request): Response {
  const headers = securityHeaders();
  if (request.method !== "GET" && request.method !== "HEAD") {
    headers.set("Allow", "GET, HEAD");
    return new Response("Method not allowed\n", { status: 405, headers });
  }
  const asset = PAGE_ASSETS.get(new URL(request.url).pathname);
  if (asset === undefined) {
    headers.set("Content-Type", "text/plain; charset=utf-8");
    return new Response("Not found\n", { status: 404, headers });
  }
  headers.set("Content-Type", asset.type);
  const body = request.method === "HEAD" ? null : asset.body;
  return new Response(body, { status: 200, headers });
}

/**
 * Whether a WebSocket request comes from a page this server may talk to: its
 * own origin (same scheme, host and port as the request), one of `extra`, or
 * no `Origin` at all (not a browser: `nc`-like tools, load generators).
 */
export function originAllowed(
  request: Request,
  extra: readonly string[] = [],
): boolean {
  const origin = request.headers.get("Origin");
  if (origin === null) return true;
  const url = new URL(request.url);
  const own = `${url.protocol}//${request.headers.get("Host") ?? url.host}`;
  return origin === own || extra.includes(origin);
}
