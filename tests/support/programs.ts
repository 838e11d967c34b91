/**
 * The programs outside Deno that tests start, each as a requirement for
 * {@linkcode testNeeding}: a test that needs one is skipped without it (one
 * line naming the program and its Debian package), except in CI, where it
 * fails saying what is missing.
 *
 * @module
 */

import { needProgram } from "./requires.ts";

/** `nc` (netcat-openbsd): the raw line client and listener of the lesson's world. */
export const NEEDS_NC = needProgram("nc", "netcat-openbsd");

/** `python3`: the lesson's own programs (`tests/peers/`) and the scripted peers. */
export const NEEDS_PYTHON3 = needProgram("python3", "python3");

/** `openssl`: makes the test certificates, and plays a TLS client. */
export const NEEDS_OPENSSL = needProgram("openssl", "openssl");

/** `tmux`: a real terminal (a pty) whose screen a test can read. */
export const NEEDS_TMUX = needProgram("tmux", "tmux");

/** `node`: the Node.js baseline of the benchmarks. */
export const NEEDS_NODE = needProgram("node", "nodejs");
