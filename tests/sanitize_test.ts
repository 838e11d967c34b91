import { BIDI_CONTROLS } from "./support/bidi.ts";
import { assertEquals } from "./support/assert.ts";
import {
  CSI_8BIT,
  ESC,
  escapeCodePoint,
  REPLACEMENT_CHARACTER,
  sanitize,
} from "../lib/wire/sanitize.ts";
import { LineSplitter } from "../lib/wire/line_splitter.ts";

/** Combining marks a base character keeps, as the README says ("more than 8"). */
const MARKS_KEPT = 8;

const BEL = "\x07";
const ST = ESC + "\\";
const NUL = "\0";
const CR = "\r";
const TAB = "\t";
const DEL = "\x7f";
const RLO = "\u202e";
const ZWJ = "\u200d";
const COMBINING_ACUTE = "\u0301";
const COMBINING_LONG_STROKE = "\u0336";
/** A combining mark outside the BMP: two UTF-16 units, one code point. */
const MUSICAL_COMBINING_STEM = "\u{1d165}";

/** The hostile corpus of issue 5: what a peer sends, and what we show. */
const HOSTILE: readonly [name: string, input: string, shown: string][] = [
  [
    "OSC 0 title then clear screen",
    `${ESC}]0;pwned${BEL}${ESC}[2J`,
    "^[]0;pwned^G^[[2J",
  ],
  ["CSI 21 t (report window title)", `${ESC}[21t`, "^[[21t"],
  ["8-bit CSI 21 t", `${CSI_8BIT}21t`, "<U+009B>21t"],
  ["DCS $q (request status string)", `${ESC}P$q"p${ST}`, '^[P$q"p^[\\'],
  ["OSC 50;? (query font)", `${ESC}]50;?${BEL}`, "^[]50;?^G"],
  [
    "OSC 52 clipboard write",
    `${ESC}]52;c;cm0gLXJmIH4K${BEL}`,
    "^[]52;c;cm0gLXJmIH4K^G",
  ],
  ["OSC 52 ended by ST", `${ESC}]52;c;YQ==${ST}`, "^[]52;c;YQ==^[\\"],
  ["right-to-left override", `abc${RLO}txt.exe`, "abc<U+202E>txt.exe"],
  ["NUL", `a${NUL}b`, "a^@b"],
  ["bare CR (overwrites the line)", `safe${CR}evil`, "safe^Mevil"],
  ["DEL", `a${DEL}`, "a^?"],
  ["backspace", "ab\b\bxy", "ab^H^Hxy"],
  ["line feed inside text", "a\nb", "a^Jb"],
  ["next line (C1 NEL)", "a\x85b", "a<U+0085>b"],
];

for (const [name, input, shown] of HOSTILE) {
  Deno.test(`sanitize shows ${name} as visible escapes`, () => {
    assertEquals(sanitize(input), shown);
  });
}

Deno.test("sanitize keeps TAB", () => {
  assertEquals(sanitize(`a${TAB}b`), `a${TAB}b`);
});

Deno.test("sanitize keeps accents, CJK, emoji and ZWJ sequences", () => {
  const kept = [
    "é 漢字 😀 👩‍👩‍👧",
    "e\u0301", // é as e + combining acute
    "Tiếng Việt",
    "שָׁלוֹם", // Hebrew with points
    "नमस्ते",
    "བོད་སྐད་",
    "🏳️‍🌈 👁️‍🗨️ 1️⃣ 🧑🏽‍🤝‍🧑🏻",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿", // Scotland: a tag sequence
    "\ufffd",
    "^[ is just two characters",
  ];
  for (const text of kept) assertEquals(sanitize(text), text);
});

Deno.test("sanitize escapes every C0 control but TAB in caret notation", () => {
  for (let code = 0x00; code <= 0x1f; code++) {
    const char = String.fromCharCode(code);
    const expected = code === 0x09
      ? char
      : "^" + String.fromCharCode(code + 0x40);
    assertEquals(sanitize(char), expected, `U+${code.toString(16)}`);
  }
  assertEquals(sanitize(NUL + ESC + CR + DEL), "^@^[^M^?");
});

Deno.test("sanitize escapes every C1 control as <U+00XX>", () => {
  for (let code = 0x80; code <= 0x9f; code++) {
    const hex = code.toString(16).toUpperCase();
    assertEquals(sanitize(String.fromCharCode(code)), `<U+00${hex}>`);
  }
});

Deno.test("sanitize escapes every bidi control as <U+XXXX>", () => {
  for (const code of BIDI_CONTROLS) {
    const hex = code.toString(16).toUpperCase().padStart(4, "0");
    assertEquals(sanitize(`a${String.fromCharCode(code)}b`), `a<U+${hex}>b`);
  }
});

Deno.test("sanitize shows a raw 0x9B byte as U+FFFD, and U+009B escaped", () => {
  const splitter = new LineSplitter();
  // 0x9B alone is not UTF-8: the decoder makes it U+FFFD, which is harmless.
  const [invalid] = splitter.push(Uint8Array.of(0x9b, 0x32, 0x4a, 0x0a));
  assertEquals(invalid, { kind: "line", text: "\ufffd2J" });
  assertEquals(
    sanitize(invalid.kind === "line" ? invalid.text : ""),
    "\ufffd2J",
  );
  // 0xC2 0x9B is valid UTF-8 for U+009B, the 8-bit CSI: it must be escaped.
  const [csi] = splitter.push(Uint8Array.of(0xc2, 0x9b, 0x32, 0x4a, 0x0a));
  assertEquals(csi, { kind: "line", text: `${CSI_8BIT}2J` });
  assertEquals(sanitize(csi.kind === "line" ? csi.text : ""), "<U+009B>2J");
});

Deno.test("sanitize cuts a long run of combining marks to the cap", () => {
  const zalgo = "Z" + COMBINING_LONG_STROKE.repeat(200) + "A";
  assertEquals(
    sanitize(zalgo),
    "Z" + COMBINING_LONG_STROKE.repeat(MARKS_KEPT) + "A",
  );
});

Deno.test("sanitize keeps a run of exactly the cap and cuts one more", () => {
  const atCap = "a" + COMBINING_ACUTE.repeat(MARKS_KEPT);
  assertEquals(sanitize(atCap), atCap);
  assertEquals(sanitize(atCap + COMBINING_ACUTE), atCap);
});

Deno.test("sanitize caps marks per base character, not per line", () => {
  const cluster = "a" + COMBINING_ACUTE.repeat(MARKS_KEPT);
  const line = cluster.repeat(50);
  assertEquals(sanitize(line), line);
  const over = ("a" + COMBINING_ACUTE.repeat(30)).repeat(3);
  assertEquals(sanitize(over), cluster.repeat(3));
});

Deno.test("sanitize counts marks by code point, not UTF-16 unit", () => {
  const run = "x" + MUSICAL_COMBINING_STEM.repeat(20);
  assertEquals(
    sanitize(run),
    "x" + MUSICAL_COMBINING_STEM.repeat(MARKS_KEPT),
  );
});

Deno.test("sanitize caps marks even with zero-width characters between them", () => {
  // ZWJ, ZWSP and word joiner take no column: marks after them still pile up.
  const sneaky = "a" + (COMBINING_ACUTE + ZWJ + "\u200b" + "\u2060").repeat(20);
  const cut = sanitize(sneaky);
  assertEquals(cut, sneaky.slice(0, 1 + MARKS_KEPT));
});

Deno.test("sanitize caps a run of marks with no base character", () => {
  assertEquals(
    sanitize(COMBINING_ACUTE.repeat(40)),
    COMBINING_ACUTE.repeat(MARKS_KEPT),
  );
});

Deno.test("sanitize ends a run of marks at a bidi control and escapes it", () => {
  const marks = COMBINING_ACUTE.repeat(MARKS_KEPT);
  assertEquals(
    sanitize("a" + marks + RLO + marks),
    "a" + marks + "<U+202E>" + marks,
  );
});

Deno.test("sanitize replaces lone surrogates with U+FFFD", () => {
  assertEquals(sanitize("a\ud800b"), `a${REPLACEMENT_CHARACTER}b`);
  assertEquals(sanitize("a\udfff"), `a${REPLACEMENT_CHARACTER}`);
  assertEquals(sanitize("\udc00\ud800"), REPLACEMENT_CHARACTER.repeat(2));
  assertEquals(sanitize("\ud83d\ude00"), "😀");
});

Deno.test("sanitize is idempotent on the hostile corpus", () => {
  for (const [, input] of HOSTILE) {
    const once = sanitize(input);
    assertEquals(sanitize(once), once);
  }
});

Deno.test("sanitize maps every code point as its scheme says", () => {
  // Each code point between two "x", so runs of marks stay short and a lone
  // surrogate stays lone.
  const input: string[] = [];
  const expected: string[] = [];
  for (let code = 0; code <= 0x10ffff; code++) {
    const char = String.fromCodePoint(code);
    input.push(char);
    expected.push(expectedShape(code, char));
  }
  const output = sanitize(input.join("x"));
  const want = expected.join("x");
  if (output !== want) {
    // Compare around the first difference only: the whole text is 3 MB.
    let at = 0;
    while (output[at] === want[at]) at++;
    const from = Math.max(0, at - 20);
    assertEquals(
      output.slice(from, at + 20),
      want.slice(from, at + 20),
      `first difference at UTF-16 index ${at}`,
    );
  }
});

Deno.test("escapeCodePoint uses caret notation for C0 and DEL, <U+XXXX> above", () => {
  assertEquals(escapeCodePoint(0x00), "^@");
  assertEquals(escapeCodePoint(0x1b), "^[");
  assertEquals(escapeCodePoint(0x1f), "^_");
  assertEquals(escapeCodePoint(0x7f), "^?");
  assertEquals(escapeCodePoint(0x9b), "<U+009B>");
  assertEquals(escapeCodePoint(0x202e), "<U+202E>");
});

/** What one code point becomes, written from the scheme, not the regex. */
function expectedShape(code: number, char: string): string {
  const isC0 = code <= 0x1f && code !== 0x09;
  if (isC0 || code === 0x7f) return "^" + String.fromCharCode(code ^ 0x40);
  const isC1 = code >= 0x80 && code <= 0x9f;
  const isBidi = code === 0x061c || code === 0x200e || code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
  if (isC1 || isBidi) {
    return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
  }
  if (code >= 0xd800 && code <= 0xdfff) return REPLACEMENT_CHARACTER;
  return char;
}
