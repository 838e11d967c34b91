/**
 * Reads a V8 `.cpuprofile` (from `deno run --cpu-prof`) and lists the
 * functions that took the most time themselves ("self time").
 *
 * @module
 */

/** One function's share of a profile. */
export interface ProfileEntry {
  /** The function's name, or `(anonymous)`, `(idle)`, `(garbage collector)`. */
  name: string;
  /** Where it is: file and line, when known. */
  where: string;
  /** Time spent in the function itself, ms. */
  selfMs: number;
  /** That time as a share of the busy (non-idle) time, 0 to 1. */
  share: number;
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The `count` functions with the most self time in `profile`, idle left out. */
export function topFunctions(
  profile: CpuProfile,
  count: number,
): ProfileEntry[] {
  const frames = new Map(
    profile.nodes.map((node) => [node.id, node.callFrame]),
  );
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  profile.samples.forEach((id, index) => {
    const frame = frames.get(id);
    if (!frame) return;
    const name = frame.functionName || "(anonymous)";
    if (name === "(idle)") return;
    const file = frame.url.split("/").pop() ?? "";
    const where = file ? `${file}:${frame.lineNumber + 1}` : "";
    const key = `${name} ${where}`;
    const entry = selfUs.get(key) ?? { name, where, us: 0 };
    entry.us += profile.timeDeltas[index] ?? 0;
    selfUs.set(key, entry);
  });
  const busyUs = [...selfUs.values()].reduce((sum, entry) => sum + entry.us, 0);
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((entry) => ({
      name: entry.name,
      where: entry.where,
      selfMs: entry.us / 1000,
      share: busyUs > 0 ? entry.us / busyUs : 0,
    }));
}

/** Reads the newest `.cpuprofile` in `dir`, or `null` if there is none. */
export async function newestProfile(dir: string): Promise<
  { file: string; profile: CpuProfile } | null
> {
  let newest: { file: string; mtime: number } | null = null;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".cpuprofile")) continue;
    const file = `${dir}/${entry.name}`;
    const mtime = (await Deno.stat(file)).mtime?.getTime() ?? 0;
    if (newest === null || mtime > newest.mtime) newest = { file, mtime };
  }
  if (newest === null) return null;
  return {
    file: newest.file,
    profile: JSON.parse(await Deno.readTextFile(newest.file)),
  };
}

if (import.meta.main) {
  // deno run --allow-read bench/profile.ts FILE.cpuprofile [COUNT]
  const [file, count = "25"] = Deno.args;
  const profile = JSON.parse(await Deno.readTextFile(file));
  for (const entry of topFunctions(profile, Number(count))) {
    console.log(
      `${(entry.share * 100).toFixed(1).padStart(5)}%  ${
        entry.selfMs.toFixed(1).padStart(8)
      } ms  ${entry.name}  ${entry.where}`,
    );
  }
}
