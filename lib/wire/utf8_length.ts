/**
 * The UTF-8 length of a string without encoding it: the flood guard counts
 * the bytes of every line, and encoding each just to count is waste.
 *
 * @module
 */

/** How many bytes `text` takes in UTF-8, counted without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // One more byte from U+0080, two from U+0800; a surrogate pair (two
    // units) is four bytes.
    if (unit >= 0x80) bytes += unit >= 0x800 && !isSurrogate(unit) ? 2 : 1;
  }
  return bytes;
}

function isSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdfff;
}
