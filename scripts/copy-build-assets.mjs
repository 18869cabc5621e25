// Part of `npm run build`: tsc compiles src/*.ts into dist/; the files the sources read or
// import as they are (the widget's plain JavaScript, the workbench's HTML, CSS and JavaScript)
// are copied beside the compiled code, at the same relative paths.
import { cpSync, existsSync } from "node:fs";

const assetPattern = /\.(js|html|css)$/;
if (!existsSync("dist")) throw new Error("dist/ is missing: run tsc -p tsconfig.build.json first.");
cpSync("src", "dist", {
  recursive: true,
  filter: (source) => !/\.[a-z]+$/.test(source) || (assetPattern.test(source) && !source.endsWith(".test.js")),
});
