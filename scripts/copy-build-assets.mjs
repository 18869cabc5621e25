// Part of `npm run build`: tsc compiles src/*.ts into dist/; the files the sources read or
// import as they are (the widget's plain JavaScript, the workbench's HTML, CSS and JavaScript)
// are copied beside the compiled code, at the same relative paths.
import { cpSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The compiled tree (default dist/; a test gives its own). */
const dist = process.argv[2] ?? "dist";
const src = fileURLToPath(new URL("../src", import.meta.url));
const assetPattern = /\.(js|html|css)$/;
if (!existsSync(dist)) throw new Error(`${dist}/ is missing: run tsc -p tsconfig.build.json first.`);
cpSync(src, dist, {
  recursive: true,
  filter: (source) => !/\.[a-z]+$/.test(source) || (assetPattern.test(source) && !source.endsWith(".test.js")),
});
