#!/usr/bin/env node
// Entry point of the `kindred` command. Runs the build (made by `npm ci` through the `prepare`
// script, or `npm run build`): its bundle, dist/cli-bundle/ (scripts/bundle-cli.mjs: a few
// files to load, not dozens of modules), or without one tsc's tree, dist/cli/main.js; so no
// TypeScript compiler runs at start-up. Without a build, or with KINDRED_RUN_SOURCES=1 (the
// test suite sets it, so tests always run the code as it is in src/), it registers tsx and
// runs the TypeScript sources.
import { existsSync } from "node:fs";

const bundled = new URL("../dist/cli-bundle/main.js", import.meta.url);
const built = new URL("../dist/cli/main.js", import.meta.url);
const entry = [bundled, built].find((url) => existsSync(url));
let main;
if (process.env.KINDRED_RUN_SOURCES === "1" || entry === undefined) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
} else {
  ({ main } = await import(entry.href));
}
process.exitCode = await main(process.argv.slice(2));
