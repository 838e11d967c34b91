/**
 * The chat page's files, built into the program (text imports), so the
 * server needs no read permission and a classroom without internet needs no
 * CDN: everything the page uses comes from here.
 *
 * @module
 */

import chatCss from "./page/chat.css" with { type: "text" };
import chatJs from "./page/chat.js" with { type: "text" };
import indexHtml from "./page/index.html" with { type: "text" };
import favicon from "./page/favicon.svg" with { type: "text" };

/** A file the page needs: its body and content type. */
export interface PageAsset {
  /** The file's text. */
  body: string;
  /** Its `Content-Type`. */
  type: string;
}

/** Every path the web server answers with a file, and nothing else. */
export const PAGE_ASSETS: ReadonlyMap<string, PageAsset> = new Map([
  ["/", { body: indexHtml, type: "text/html; charset=utf-8" }],
  ["/chat.js", { body: chatJs, type: "text/javascript; charset=utf-8" }],
  ["/chat.css", { body: chatCss, type: "text/css; charset=utf-8" }],
  ["/favicon.svg", { body: favicon, type: "image/svg+xml" }],
]);
