/**
 * Where the repository is, for tests and the benchmark: every process they
 * start runs from there, and the documents they read are found from there.
 *
 * @module
 */

/** The repository root, ending in `/`. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;
