// Part of `npm run build`, after tsc: zod bundled into one module, dist/vendor/zod.js, and the
// compiled files' `import ... from "zod"` pointed at it. zod 4 is about a hundred small ES
// modules, and resolving, reading and linking them was a large part of every `kindred` start
// (most of a re-index that finds nothing changed; docs/performance.md, "Re-indexing"). The
// bundle is the same code; every compiled file imports the one copy, so schemas built in
// different files still compose. Tests and scripts run the sources, which import zod as usual.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** The compiled tree (default dist/; a test gives its own). */
const dist = process.argv[2] ?? "dist";
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const vendored = join(dist, "vendor", "zod.js");

await build({
  stdin: { contents: 'export * from "zod"; export { default } from "zod";', resolveDir: repoRoot, loader: "js" },
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outfile: vendored,
  // Minified: V8 parses the whole file at every start, and the bundle is most of what a
  // `kindred` command compiles before it does anything.
  minify: true,
  legalComments: "inline",
  logLevel: "warning",
});

const importOfZod = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])zod(\/[^"']*)?\2/g;
let importing = 0;
for (const file of compiledFiles(dist)) {
  if (file === vendored) continue;
  const source = readFileSync(file, "utf8");
  const target = `./${relative(dirname(file), vendored).split("\\").join("/")}`.replace(/^\.\/\.\.\//, "../");
  let unexpected = null;
  const output = source.replace(importOfZod, (match, keyword, quote, subpath) => {
    // Only the package's main entry is bundled: another entry would load a second copy of zod.
    if (subpath !== undefined || !keyword.startsWith("from")) unexpected = match;
    return `${keyword}${quote}${target}${quote}`;
  });
  if (unexpected !== null)
    throw new Error(`${file}: ${unexpected}: only \`import ... from "zod"\` is vendored; import zod that way or extend scripts/vendor-zod.mjs.`);
  if (output !== source) writeFileSync(file, output);
  if (output.includes(`${target}"`) || output.includes(`${target}'`)) importing++;
}
if (importing === 0) throw new Error("No compiled file imports zod: scripts/vendor-zod.mjs ran before tsc, or its pattern no longer matches tsc's output.");

function* compiledFiles(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* compiledFiles(path);
    else if (entry.name.endsWith(".js")) yield path;
  }
}
