import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { treeFile } from "../paths/tree-root.ts";

interface Detector {
  detect(text: string): { language: string; isReliable(): boolean };
}

/**
 * ELD's n-gram data is a large module, most of the cost of starting `kindred index`: where Node
 * can require an ES module (20.19 and later) it is loaded on the first detection, so a re-index
 * whose languages are all remembered (store/sqlite-language-memo.ts) never loads it; older Node
 * (and a test runner without `import.meta.resolve`) loads it with this module, as before.
 */
const loadsLazily = (process.features as { require_module?: boolean }).require_module === true && typeof import.meta.resolve === "function";
let detector: Detector | null = loadsLazily ? null : (await import("eld/small")).eld;

function languageDetector(): Detector {
  detector ??= vendoredDetector() ?? (createRequire(import.meta.url)(fileURLToPath(import.meta.resolve("eld/small"))) as { eld: Detector }).eld;
  return detector;
}

/** ELD's small database as JSON, written beside the built code by scripts/vendor-eld.mjs. */
const vendoredData = treeFile("vendor/eld-small.json");

/**
 * ELD's own detector loaded with its small database from JSON, where the build wrote it
 * (dist/vendor): the same data and code as `eld/small`, loaded in about a third of the time
 * (evaluating ELD's 1.6 MB object literal is the slow part). Null in the sources, which have
 * no such file. The test that compares the two gives the file and ELD's entry point itself.
 */
export function vendoredDetector(
  dataPath: URL | string = vendoredData,
  eldEntry: string | null = loadsLazily ? import.meta.resolve("eld/small") : null,
): Detector | null {
  if (eldEntry === null || !existsSync(dataPath)) return null;
  const { createEld } = createRequire(import.meta.url)(fileURLToPath(new URL("../languageDetector.js", eldEntry))) as {
    createEld: () => { instance: Detector; loadData: (data: unknown) => string };
  };
  const { instance, loadData } = createEld();
  loadData(JSON.parse(readFileSync(dataPath, "utf8")));
  return instance;
}

/**
 * Letters a text needs before its language is guessed: below this, n-gram detectors guess
 * from a name or two ("Hegseth" comes out Norwegian), and a wrong guess would take the
 * embedding away from an English query.
 */
const minLetters = 20;
/** What the detector reads: the first characters are enough, and a long body costs no more. */
const maxChars = 1_000;

/**
 * The language of a text (ISO 639-1), or null when it cannot be told reliably. Uses ELD
 * (Nito-ELD, npm `eld`, Apache-2.0: pure JavaScript, no dependencies, 60 languages, maintained),
 * its small database, and only its answers it reports as reliable.
 *
 * @example
 *   detectLanguage("Ein schweres Erdbeben hat die Westküste Japans erschüttert."); // "de"
 *   detectLanguage("quake"); // null
 */
export function detectLanguage(text: string): string | null {
  return detectSampleLanguage(languageSample(text));
}

/** The part of a text the detector reads: its answer depends on this alone (a memo's key). */
export function languageSample(text: string): string {
  return text.slice(0, maxChars);
}

/** `detectLanguage` of a text's `languageSample`. */
export function detectSampleLanguage(sample: string): string | null {
  if ((sample.match(/\p{L}/gu)?.length ?? 0) < minLetters) return null;
  const result = languageDetector().detect(sample);
  return result.language !== "" && result.isReliable() ? result.language : null;
}
