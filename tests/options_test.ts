import { assertEquals, assertMatch, assertThrows } from "./support/assert.ts";
import { UsageError } from "../lib/cli/errors.ts";
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  parseClientOptions,
  parseHost,
  parsePort,
  parseServerOptions,
} from "../lib/cli/options.ts";
import { MAX_LINE_BYTES } from "../lib/wire/line_splitter.ts";

/** Asserts that `fn` throws a UsageError with exactly `message`. */
function assertUsageError(fn: () => unknown, message: string): void {
  assertThrows(fn, (error: unknown) => {
    assertEquals(
      error instanceof UsageError,
      true,
      `not a UsageError: ${error}`,
    );
    assertEquals((error as UsageError).message, message);
    return true;
  });
}

Deno.test("parseServerOptions defaults to 127.0.0.1, port 5555, take turns", () => {
  const options = parseServerOptions([]);
  assertEquals(options.host, DEFAULT_HOST);
  assertEquals(options.host, "127.0.0.1");
  assertEquals(options.port, DEFAULT_PORT);
  assertEquals(options.port, 5555);
  assertEquals(options.mode, "turns");
  assertEquals(options.name, "host");
  assertEquals(options.maxLineBytes, MAX_LINE_BYTES);
  assertEquals(options.help, false);
});

Deno.test("parseClientOptions defaults to 127.0.0.1, port 5555, take turns", () => {
  const options = parseClientOptions([]);
  assertEquals(options.host, "127.0.0.1");
  assertEquals(options.port, 5555);
  assertEquals(options.mode, "turns");
  assertEquals(options.name, undefined);
  assertEquals(options.maxLineBytes, MAX_LINE_BYTES);
  assertEquals(options.help, false);
});

Deno.test("parseServerOptions reads --host, --port, --mode, --room and -h", () => {
  const options = parseServerOptions([
    "--host",
    "0.0.0.0",
    "--port",
    "0",
    "--mode",
    "chat",
  ]);
  assertEquals([options.host, options.port, options.mode], [
    "0.0.0.0",
    0,
    "chat",
  ]);
  assertEquals(parseServerOptions(["--room"]).mode, "room");
  assertEquals(parseServerOptions(["--mode", "room"]).mode, "room");
  assertEquals(parseServerOptions(["-p", "6000"]).port, 6000);
  assertEquals(parseServerOptions(["-h"]).help, true);
  assertEquals(parseServerOptions(["--help"]).help, true);
});

Deno.test("parseServerOptions refuses a positional argument", () => {
  assertUsageError(
    () => parseServerOptions(["5555"]),
    'Unexpected argument "5555" (see --help)',
  );
});

Deno.test("parseClientOptions takes positional HOST PORT", () => {
  const options = parseClientOptions(["192.168.1.20", "6000"]);
  assertEquals([options.host, options.port], ["192.168.1.20", 6000]);
  assertEquals(parseClientOptions(["example.org"]).host, "example.org");
  assertEquals(parseClientOptions(["example.org"]).port, 5555);
});

Deno.test("parseClientOptions refuses HOST or PORT given twice, or a third positional", () => {
  assertUsageError(
    () => parseClientOptions(["a", "--host", "b"]),
    "Give the host either as HOST or as --host, not both",
  );
  assertUsageError(
    () => parseClientOptions(["a", "1", "--port", "2"]),
    "Give the port either as PORT or as --port, not both",
  );
  assertUsageError(
    () => parseClientOptions(["a", "1", "extra"]),
    'Unexpected argument "extra" (see --help)',
  );
});

Deno.test("parseClientOptions: --name implies chat, and there is no room mode", () => {
  const options = parseClientOptions(["--name", "ada"]);
  assertEquals([options.mode, options.name], ["chat", "ada"]);
  assertUsageError(
    () => parseClientOptions(["--mode", "room"]),
    "The client has no room mode: use --mode chat --name NAME to join a room",
  );
});

Deno.test("parse*Options refuse an unknown mode, naming it", () => {
  for (const parse of [parseServerOptions, parseClientOptions]) {
    assertUsageError(
      () => parse(["--mode", "loud"]),
      'Invalid mode "loud": use one of turns, chat, room',
    );
  }
});

Deno.test("parse*Options read --max-line-bytes and refuse 0", () => {
  assertEquals(
    parseServerOptions(["--max-line-bytes", "2048"]).maxLineBytes,
    2048,
  );
  assertEquals(parseClientOptions(["--max-line-bytes", "10"]).maxLineBytes, 10);
  for (const parse of [parseServerOptions, parseClientOptions]) {
    for (const bad of ["0", "-5", "abc", "1.5"]) {
      assertThrows(() => parse([`--max-line-bytes=${bad}`]), (error) => {
        assertEquals(error instanceof UsageError, true);
        assertMatch(
          (error as Error).message,
          new RegExp(`^Invalid --max-line-bytes "${bad.replace(".", "\\.")}"`),
        );
        return true;
      });
    }
  }
});

Deno.test("parse*Options name an unknown option", () => {
  assertUsageError(
    () => parseServerOptions(["--colour"]),
    'Unknown option "--colour" (see --help)',
  );
  assertUsageError(
    () => parseClientOptions(["-x"]),
    'Unknown option "-x" (see --help)',
  );
});

Deno.test("parse*Options say which option needs a value", () => {
  assertUsageError(
    () => parseClientOptions(["--port"]),
    'Option "--port" needs a value (see --help)',
  );
  assertUsageError(
    () => parseServerOptions(["--host"]),
    'Option "--host" needs a value (see --help)',
  );
  assertUsageError(
    () => parseClientOptions(["-p"]),
    'Option "--port" needs a value (see --help)',
  );
});

Deno.test("parsePort accepts 1 to 65535, and 0 only when allowed", () => {
  assertEquals(parsePort("1"), 1);
  assertEquals(parsePort("5555"), 5555);
  assertEquals(parsePort("65535"), 65535);
  assertEquals(parsePort("0", { allowZero: true }), 0);
  assertUsageError(
    () => parsePort("0"),
    'Invalid port "0": use a whole number from 1 to 65535',
  );
});

Deno.test("parsePort refuses what is not a whole number in range, quoting it", () => {
  for (
    const bad of [
      "abc",
      "-1",
      "65536",
      "1e3",
      "",
      " 80",
      "80 ",
      "0x50",
      "8.0",
      "99999",
    ]
  ) {
    assertUsageError(
      () => parsePort(bad),
      `Invalid port "${bad}": use a whole number from 1 to 65535`,
    );
    assertUsageError(
      () => parsePort(bad, { allowZero: true }),
      `Invalid port "${bad}": use a whole number from 0 to 65535`,
    );
  }
});

Deno.test("parse*Options refuse a bad port through --port and PORT", () => {
  assertUsageError(
    () => parseServerOptions(["--port=-1"]),
    'Invalid port "-1": use a whole number from 0 to 65535',
  );
  assertUsageError(
    () => parseServerOptions(["--port", "65536"]),
    'Invalid port "65536": use a whole number from 0 to 65535',
  );
  assertUsageError(
    () => parseClientOptions(["localhost", "abc"]),
    'Invalid port "abc": use a whole number from 1 to 65535',
  );
  assertUsageError(
    () => parseClientOptions(["--port", "1e3"]),
    'Invalid port "1e3": use a whole number from 1 to 65535',
  );
});

Deno.test("parseHost refuses the lesson's 123.456.789.123, naming it", () => {
  assertUsageError(
    () => parseHost("123.456.789.123"),
    'Invalid IPv4 address "123.456.789.123": each of its four numbers must be from 0 to 255',
  );
  assertUsageError(
    () => parseClientOptions(["123.456.789.123", "5555"]),
    'Invalid IPv4 address "123.456.789.123": each of its four numbers must be from 0 to 255',
  );
  assertUsageError(
    () => parseServerOptions(["--host", "123.456.789.123"]),
    'Invalid IPv4 address "123.456.789.123": each of its four numbers must be from 0 to 255',
  );
});

Deno.test("parseHost refuses an IPv4 address without four numbers", () => {
  for (const bad of ["1.2.3", "1.2.3.4.5", "1..3.4", "1.2.3.4."]) {
    assertUsageError(
      () => parseHost(bad),
      bad.split(".").length === 4
        ? `Invalid IPv4 address "${bad}": each of its four numbers must be from 0 to 255`
        : `Invalid IPv4 address "${bad}": it needs four numbers separated by dots`,
    );
  }
});

Deno.test("parseHost refuses an empty host or one with spaces", () => {
  assertUsageError(
    () => parseHost(""),
    'Invalid host "": give a name or an address',
  );
  assertUsageError(
    () => parseHost("my host"),
    'Invalid host "my host": give a name or an address',
  );
  assertUsageError(
    () => parseHost("[]"),
    'Invalid host "[]": give a name or an address',
  );
});

Deno.test("parseHost accepts IPv4, names, and IPv6 with or without brackets", () => {
  assertEquals(parseHost("127.0.0.1"), "127.0.0.1");
  assertEquals(parseHost("0.0.0.0"), "0.0.0.0");
  assertEquals(parseHost("255.255.255.255"), "255.255.255.255");
  assertEquals(parseHost("localhost"), "localhost");
  assertEquals(parseHost("chat.example.org"), "chat.example.org");
  assertEquals(parseHost("::1"), "::1");
  assertEquals(parseHost("[::1]"), "::1");
  assertEquals(parseHost("::"), "::");
  assertEquals(parseHost("[fe80::1]"), "fe80::1");
  assertEquals(parseClientOptions(["--host", "[::1]"]).host, "::1");
  assertEquals(parseServerOptions(["--host", "::1"]).host, "::1");
});

Deno.test("parse*Options read --timestamps, off by default", () => {
  assertEquals(parseClientOptions([]).timestamps, false);
  assertEquals(parseClientOptions(["--timestamps"]).timestamps, true);
  assertEquals(parseServerOptions(["--room", "--timestamps"]).timestamps, true);
});
