/**
 * CPU time of a process group, from Linux's `/proc`, to tell a program that
 * waits from one that spins.
 *
 * @module
 */

import { readProc } from "./proc.ts";

/** Clock ticks per second in `/proc/<pid>/stat` (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) used so far by every process in session
 * `sessionId`, or `null` where `/proc` cannot be read.
 */
export async function sessionCpuSeconds(
  sessionId: number,
): Promise<number | null> {
  const stats = await readProc("/proc/[0-9]*/stat");
  if (stats === null) return null;
  let ticks = 0;
  for (const stat of stats.split("\n")) {
    // After "(command name)": state is field 0, session 3, utime 11, stime 12.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[3]) === sessionId) {
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * The share of one CPU (0 to 1, or more with threads) that session
 * `sessionId` used over the next `ms` milliseconds; `null` without `/proc`.
 */
export async function cpuShare(
  sessionId: number,
  ms: number,
): Promise<number | null> {
  const before = await sessionCpuSeconds(sessionId);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await sessionCpuSeconds(sessionId);
  if (before === null || after === null) return null;
  return (after - before) / ((performance.now() - start) / 1000);
}
