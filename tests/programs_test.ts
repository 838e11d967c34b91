/**
 * The README's table of programs the tests need stays true: every program a
 * test asks for (tests/support/programs.ts) has its row, with its package.
 */

import { assertOk } from "./support/assert.ts";

import { ROOT } from "./support/paths.ts";

Deno.test("README's test table names every program a test needs, with its Debian package", async () => {
  const programs = await Deno.readTextFile(
    `${ROOT}tests/support/programs.ts`,
  );
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const needed = [...programs.matchAll(/needProgram\("([^"]+)", "([^"]+)"\)/g)];
  assertOk(needed.length >= 5, `only ${needed.length} programs found`);
  const rows = readme.split("\n").filter((line) => line.startsWith("| `"));
  for (const [, program, debianPackage] of needed) {
    assertOk(
      rows.some((row) =>
        row.startsWith(`| \`${program}\``) &&
        row.includes(`\`${debianPackage}\``)
      ),
      `README.md has no row "| \`${program}\` | \`${debianPackage}\` | ..."`,
    );
    assertOk(
      new RegExp(`sudo apt-get install [^\\n]*\\b${debianPackage}\\b`).test(
        readme,
      ),
      `README.md's full-run apt-get line lacks ${debianPackage}`,
    );
  }
});
