/**
 * Turns text into what goes on the wire: UTF-8 with a `\n` at the end.
 *
 * @module
 */

import { MAX_LINE_BYTES } from "./line_splitter.ts";

const encoder = new TextEncoder();

/** Encodes one message as a line, refusing any that is over the limit. */
export function encodeMessage(
  text: string,
  maxBytes: number = MAX_LINE_BYTES,
): Uint8Array {
  const bytes = encoder.encode(text + "\n");
  checkMessageSize(bytes.length - 1, maxBytes);
  return bytes;
}

/** Throws a `RangeError` naming the size and the limit when `size` is over it. */
export function checkMessageSize(
  size: number,
  maxBytes: number = MAX_LINE_BYTES,
): void {
  if (size > maxBytes) {
    throw new RangeError(tooLongText(size, maxBytes));
  }
}

/** The sentence that explains an oversize message. */
export function tooLongText(size: number, maxBytes: number): string {
  return `Message is ${size} bytes; the limit is ${maxBytes} bytes, so it was not sent`;
}
