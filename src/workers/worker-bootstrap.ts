import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The source of a worker thread (`new Worker(source, { eval: true })`) that imports the module
 * `entry` next to `callerUrl`. Run from the sources (the caller is a `.ts` file), the entry is
 * TypeScript, and on Node 20 a worker does not inherit the parent's module hooks, so tsx is
 * registered in the worker first; run from the build (dist/), the entry is plain JavaScript.
 * A failure to load is posted to the parent as `{ kind: "failed", message }`.
 *
 * @example
 *   new Worker(workerBootstrapSource(import.meta.url, "embed-worker"), { eval: true, workerData })
 */
export function workerBootstrapSource(callerUrl: string, entry: string): string {
  const fromSources = callerUrl.endsWith(".ts");
  const entryUrl = new URL(`./${entry}${fromSources ? ".ts" : ".js"}`, callerUrl).href;
  const registerTsx = fromSources
    ? `import(${JSON.stringify(pathToFileURL(join(dirname(createRequire(callerUrl).resolve("tsx/package.json")), "dist/esm/api/index.mjs")).href)}).then(({ register }) => register())`
    : "Promise.resolve()";
  return `
${registerTsx}
  .then(() => import(${JSON.stringify(entryUrl)}))
  .catch((error) => { require("node:worker_threads").parentPort.postMessage({ kind: "failed", message: String(error && error.stack || error) }); });
`;
}
