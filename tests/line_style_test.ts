import { assertEquals } from "./support/assert.ts";
import { mentions, nameColour, styleRoomLine } from "../lib/chat/line_style.ts";

const ESC = "\x1b";

Deno.test("nameColour gives a name the same colour every time, whatever its case", () => {
  assertEquals(nameColour("alice"), nameColour("alice"));
  assertEquals(nameColour("Alice"), nameColour("alice"));
  // Ten names do not all share one colour.
  const colours = new Set(
    ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].map(nameColour),
  );
  assertEquals(colours.size > 1, true);
});

Deno.test("styleRoomLine colours the name of <NAME> lines and keeps the text", () => {
  const styled = styleRoomLine("<bob> hello there", "alice");
  assertEquals(
    styled,
    `<${ESC}[${colourCode(nameColour("bob"))}mbob${ESC}[39m> hello there`,
  );
});

Deno.test("styleRoomLine highlights a line that mentions you", () => {
  assertEquals(
    styleRoomLine("<bob> hi Alice!", "alice"),
    `<${ESC}[${
      colourCode(nameColour("bob"))
    }mbob${ESC}[39m> ${ESC}[1m${ESC}[7mhi Alice!${ESC}[27m${ESC}[22m`,
  );
  assertEquals(mentions("malice aforethought", "alice"), false);
  assertEquals(mentions("alice-b is here", "alice"), false);
});

Deno.test("styleRoomLine sets notices, errors and /me apart", () => {
  assertEquals(
    styleRoomLine("*** bob joined"),
    `${ESC}[90m*** bob joined${ESC}[39m`,
  );
  assertEquals(
    styleRoomLine("*** Error: unknown command"),
    `${ESC}[31m*** Error: unknown command${ESC}[39m`,
  );
  assertEquals(styleRoomLine("* bob waves").startsWith(`${ESC}[3m* `), true);
  // Chat mode's lines are left alone.
  assertEquals(styleRoomLine("Received: hi"), "Received: hi");
});

/** The SGR number of the 16 colours used for names. */
function colourCode(name: string): number {
  const base = [
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "white",
  ];
  const bright = name.endsWith("Bright");
  const index = base.indexOf(bright ? name.slice(0, -"Bright".length) : name);
  return (bright ? 90 : 30) + index;
}
