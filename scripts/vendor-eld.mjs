// Part of `npm run build`: ELD's "small" n-gram database (npm `eld`, the language detector,
// articles/detect-language.ts) written as JSON to dist/vendor/eld-small.json. ELD ships it as
// one 1.6 MB JavaScript object literal, and evaluating that module took about a quarter of a
// second of the first detection of every `kindred index` run; JSON.parse of the same data
// takes about a third of that (docs/performance.md). The built code loads the JSON into ELD's
// own detector; the sources and tests load ELD's module as before.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";

/** The compiled tree (default dist/; a test gives its own). */
const dist = process.argv[2] ?? "dist";
const entry = import.meta.resolve("eld/small");
const { ngramsData } = await import(new URL("../ngrams/small.js", entry).href);
const json = JSON.stringify(ngramsData);
// The data must survive JSON whole, or the detector built from it would answer differently.
if (!isDeepStrictEqual(JSON.parse(json), ngramsData)) throw new Error("ELD's n-gram data does not survive JSON: not vendoring it.");
mkdirSync(join(dist, "vendor"), { recursive: true });
writeFileSync(join(dist, "vendor", "eld-small.json"), json);
