// server.ts --room --db end to end: history that survives SIGKILL, and each
// unusable file refused at start with one line, the file left untouched.

import { assertEquals, assertOk } from "../support/assert.ts";
import { startRoomServer } from "../support/room_server.ts";
import { RawClient } from "../support/raw_client.ts";
import { RunningProcess, runScript, runToExit } from "../support/process.ts";
import { tempDir } from "../support/temp_dir.ts";
import { ROOT } from "../support/paths.ts";
import { DatabaseSync } from "node:sqlite";
import { isRoot } from "../support/isolation.ts";
import { firstMissing, needProgram, testNeeding } from "../support/requires.ts";

/** Permissions for a server whose --db file is in `dir`. */
function dbPermissions(dir: string): string[] {
  return [
    `--allow-read=${dir}`,
    `--allow-write=${dir}`,
    "--allow-env=CHATLAB_PASSWORD",
  ];
}

Deno.test("a room with --db shows its history after the server is killed and restarted", async () => {
  using temp = tempDir();
  const dir = temp.path;
  const db = `${dir}/class.sqlite`;
  const first = await startRoomServer(["--db", db], {
    permissions: dbPermissions(dir),
  });
  {
    await using _server = first.server;
    await using alice = await RawClient.join(first.port, "alice");
    await using bob = await RawClient.join(first.port, "bob");
    await alice.send("before the crash", "/me takes notes");
    await bob.waitForLineStarting("* alice takes notes");
    first.server.child.kill("SIGKILL");
    await first.server.child.status;
  }
  const second = await startRoomServer(["--db", db], {
    permissions: dbPermissions(dir),
  });
  await using _second = second.server;
  await second.server.stdout.waitForContaining(
    `*** History: ${db} (keeps 30 days); 2 messages to show newcomers, ids from 3.`,
  );
  await using carol = await RawClient.connect(second.port);
  await carol.send("carol");
  await carol.waitForLineStarting("*** End of last messages.");
  const start = carol.lines.indexOf("*** Last messages:");
  assertEquals(carol.lines.slice(start), [
    "*** Last messages:",
    "<alice> before the crash",
    "* alice takes notes",
    "*** End of last messages.",
  ]);
});

/** Starts the server on `db` and expects one error line, exit 1, the file unchanged. */
async function assertRefused(
  db: string,
  expected: string,
  permissions: string[],
): Promise<void> {
  const before = Deno.readFileSync(db);
  const outcome = await runToExit(Deno.execPath(), [
    "run",
    "--allow-net",
    ...permissions,
    "server.ts",
    "--room",
    "--port",
    "0",
    "--db",
    db,
  ]);
  assertEquals(outcome.status.code, 1);
  assertEquals(outcome.stderr, [`error: ${expected}`]);
  assertEquals(Deno.readFileSync(db), before);
}

Deno.test("server.ts --db refuses a file that is not a database, unchanged", async () => {
  using temp = tempDir();
  const dir = temp.path;
  const db = `${dir}/essay.txt`;
  Deno.writeTextFileSync(db, "Sockets are objects that computers use...\n");
  await assertRefused(
    db,
    `${db} is not a chatlab database (not an SQLite file): choose another --db file (it was left untouched)`,
    dbPermissions(dir),
  );
});

Deno.test("server.ts --db refuses another program's database and a newer chatlab's, unchanged", async () => {
  using temp = tempDir();
  const dir = temp.path;
  const other = `${dir}/grades.sqlite`;
  const grades = new DatabaseSync(other);
  grades.exec("CREATE TABLE grades (student TEXT, mark INTEGER)");
  grades.close();
  await assertRefused(
    other,
    `${other} is an SQLite database, but not chatlab's: choose another --db file (it was left untouched)`,
    dbPermissions(dir),
  );
  const newer = `${dir}/newer.sqlite`;
  const db = new DatabaseSync(newer);
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('app', 'chatlab'), ('schema', '7');`);
  db.close();
  await assertRefused(
    newer,
    `${newer} was written by a newer chatlab (schema 7; this one reads 1): update chatlab or choose another --db file`,
    dbPermissions(dir),
  );
});

Deno.test("a second server on the same --db file is refused while the first runs", async () => {
  using temp = tempDir();
  const dir = temp.path;
  const db = `${dir}/class.sqlite`;
  const first = await startRoomServer(["--db", db], {
    permissions: dbPermissions(dir),
  });
  await using _first = first.server;
  await using alice = await RawClient.join(first.port, "alice");
  await alice.send("still here");
  await first.server.stdout.waitForContaining("<alice> still here");
  await assertRefused(
    db,
    `${db} is in use by another program (another chatlab server?): stop it or choose another --db file`,
    dbPermissions(dir),
  );
  await using bob = await RawClient.join(first.port, "bob");
  await bob.waitForLineStarting("<alice> still here");
});

testNeeding(
  firstMissing(
    needProgram("setpriv", "util-linux"),
    isRoot() ? null : "root (to run the server as another user)",
  ),
  "server.ts --db in a folder it may not write says so in one line",
  async () => {
    using temp = tempDir();
    const dir = temp.path;
    await Deno.chmod(dir, 0o755);
    const db = `${dir}/class.sqlite`;
    // Deno's cache must be the other user's own: a fresh one in /tmp.
    using denoTemp = tempDir("chatlab-deno-dir-");
    const denoDir = denoTemp.path;
    await Deno.chown(denoDir, 65534, 65534);
    // The other user must be able to read the code: a checkout in a private
    // folder (mktemp's 0700) is not, so it runs from a readable copy.
    using code = tempDir("chatlab-code-");
    await Deno.chmod(code.path, 0o755);
    await runToExit("cp", [
      "-r",
      `${ROOT}/server.ts`,
      `${ROOT}/lib`,
      `${ROOT}/deno.json`,
      `${ROOT}/deno.lock`,
      code.path,
    ]);
    await using server = new RunningProcess("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      Deno.execPath(),
      "run",
      "--allow-net",
      ...dbPermissions(dir),
      "server.ts",
      "--room",
      "--port",
      "0",
      "--db",
      db,
    ], { cwd: code.path, env: { DENO_DIR: denoDir, HOME: denoDir } });
    const status = await server.finish();
    const lines = server.stderr.lines;
    assertEquals(status.code, 1);
    assertEquals(lines.length, 1, server.stderr.text);
    assertOk(
      lines[0].startsWith(`error: Cannot write ${db}: `) &&
        lines[0].endsWith("; check that its folder exists and is writable"),
      lines[0],
    );
    assertEquals([...Deno.readDirSync(dir)], []);
  },
);

Deno.test("--db without the file permission is one line, not a prompt", async () => {
  using temp = tempDir();
  const dir = temp.path;
  const server = runScript("server.ts", [
    "--room",
    "--port",
    "0",
    "--db",
    `${dir}/class.sqlite`,
  ]);
  await using _server = server;
  await server.stderr.waitForLine(
    `error: Missing Deno permission: Requires read access to "${dir}/class.sqlite", run again with the --allow-read flag`,
  );
  assertEquals((await server.child.status).code, 1);
});
