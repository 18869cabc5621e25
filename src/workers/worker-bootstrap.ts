import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { runsSources, treeFile } from "../paths/tree-root.ts";

/**
 * The source of a worker thread (`new Worker(source, { eval: true })`) that imports the module
 * `entry` (a path in the code tree without its extension, paths/tree-root.ts). Run from the
 * sources, the entry is TypeScript, and on Node 20 a worker does not inherit the parent's
 * module hooks, so tsx is registered in the worker first; run from the build, the entry is
 * plain JavaScript in dist/ (also under the bundle: a worker's start is not on the path of a
 * command that finds nothing to do). A failure to load is posted to the parent as
 * `{ kind: "failed", message }`.
 *
 * @example
 *   new Worker(workerBootstrapSource("embed/embed-worker"), { eval: true, workerData })
 */
export function workerBootstrapSource(entry: string): string {
  const entryUrl = treeFile(`${entry}${runsSources ? ".ts" : ".js"}`).href;
  const registerTsx = runsSources
    ? `import(${JSON.stringify(pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/esm/api/index.mjs")).href)}).then(({ register }) => register())`
    : "Promise.resolve()";
  return `
${registerTsx}
  .then(() => import(${JSON.stringify(entryUrl)}))
  .catch((error) => { require("node:worker_threads").parentPort.postMessage({ kind: "failed", message: String(error && error.stack || error) }); });
`;
}
