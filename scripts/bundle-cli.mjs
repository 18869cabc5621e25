// Part of `npm run build`, last: the compiled CLI (dist/cli/main.js and what it imports, the
// vendored zod included) bundled into dist/cli-bundle/, which bin/kindred.js runs. Without it a
// command starts by resolving, reading, linking and compiling dozens of ES modules of dist/,
// most of a re-index that finds nothing changed (docs/performance.md, "Re-indexing"); a few
// larger files load faster. Code splitting keeps each dynamic `import()` (a command, the
// engine, the logger, the HTTP server) a chunk loaded only when reached; npm packages stay
// external, loaded from node_modules as before. Worker threads still load their entries from
// dist/ (workers/worker-bootstrap.ts).
//
// Merged into a chunk, a module's `import.meta.url` is the chunk's. Code finds the tree's files
// through paths/tree-root.ts instead, whose directory is at the same depth below dist/ as the
// bundle's; this script checks that every chunk sits directly in dist/cli-bundle/ and that no
// other use of `import.meta.url` than resolving packages crept into the bundle.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { build } from "esbuild";

/** The compiled tree (default dist/; a test gives its own). */
const dist = process.argv[2] ?? "dist";
const outdir = join(dist, "cli-bundle");

rmSync(outdir, { recursive: true, force: true });
const { metafile } = await build({
  entryPoints: [join(dist, "cli", "main.js")],
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  outdir,
  // Stack traces under `node --enable-source-maps` point into src/, through tsc's maps.
  sourcemap: "linked",
  sourcesContent: false,
  metafile: true,
  logLevel: "warning",
});

/** `import.meta` as the bundle may use it: resolving packages (from anywhere in the package)... */
const packageResolution = [/createRequire\d*\(import\.meta\.url\)/g, /typeof import\.meta\.resolve\b/g, /import\.meta\.resolve\(/g];
/** ...and paths/tree-root.ts, once in the whole bundle. */
const treeRoot = [/new URL\("\.\.\/", import\.meta\.url\)/g, /import\.meta\.url\.endsWith\("\.ts"\)/g];
let treeRoots = 0;
for (const output of Object.keys(metafile.outputs).filter((file) => file.endsWith(".js"))) {
  if (relative(outdir, dirname(output)) !== "")
    throw new Error(`${output}: not directly in ${outdir}, so paths/tree-root.ts would find the wrong directory there.`);
  let rest = packageResolution.reduce((text, pattern) => text.replace(pattern, ""), readFileSync(output, "utf8"));
  for (const pattern of treeRoot) {
    treeRoots += rest.match(pattern)?.length ?? 0;
    rest = rest.replace(pattern, "");
  }
  const stray = rest.match(/.*import\.meta.*/);
  if (stray !== null)
    throw new Error(`${output}: \`${stray[0].trim()}\`: in the bundle import.meta.url is the chunk's; find the tree's files with paths/tree-root.ts.`);
}
if (treeRoots !== treeRoot.length) throw new Error(`paths/tree-root.ts's use of import.meta.url was found ${treeRoots} times in the bundle, not once each.`);
if (!readdirSync(outdir).includes("main.js")) throw new Error(`${outdir}/main.js was not written.`);
