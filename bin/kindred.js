#!/usr/bin/env node
// Entry point of the `kindred` command. Runs the build in dist/ (made by `npm ci` through the
// `prepare` script, or `npm run build`), so no TypeScript compiler runs at start-up. Without a
// build, or with KINDRED_RUN_SOURCES=1 (the test suite sets it, so tests always run the code
// as it is in src/), it registers tsx and runs the TypeScript sources.
import { existsSync } from "node:fs";

const built = new URL("../dist/cli/main.js", import.meta.url);
const runSources = process.env.KINDRED_RUN_SOURCES === "1" || !existsSync(built);
let main;
if (runSources) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
} else {
  ({ main } = await import(built.href));
}
process.exitCode = await main(process.argv.slice(2));
