import type { ColdStartFigures } from "../cold-start.ts";
import type { EmbeddingFigures } from "../embedding-ratio.ts";
import type { FullArticleIndexFigures } from "../full-articles.ts";
import type { HttpFigures } from "../http-load.ts";
import type { ReindexFigures } from "../reindex.ts";
import type { RelatedLatencyFigures } from "../related-latency.ts";
import type { TierFigures } from "../vector-search.ts";
import type { MachineInfo } from "./machine-info.ts";

/** Everything one `npm run bench` measures: the shape of bench/results.json. */
export interface BenchResults {
  mode: "full" | "quick";
  startedAt: string;
  elapsedS: number;
  commit: string;
  machine: MachineInfo;
  /** 1-minute load average at start and end; above the core count the figures are pessimistic. */
  loadAverage: { start: number; end: number };
  sections: {
    embedding?: EmbeddingFigures;
    reindex?: ReindexFigures;
    fullArticles?: FullArticleIndexFigures[];
    relatedLatency?: RelatedLatencyFigures[];
    vectorSearch?: TierFigures[];
    /** The 1M-vector tier, apart because its build takes most of an hour (`--skip-1m` leaves it out). */
    vectorSearch1m?: TierFigures;
    coldStart?: ColdStartFigures;
    http?: HttpFigures[];
  };
  /** Sections that failed, with the error message. */
  errors: Record<string, string>;
  /**
   * Sections kept from an earlier run by `--only`, with the run that measured them; absent
   * when every section is from this run.
   */
  carried?: Partial<Record<SectionName, { commit: string; date: string }>>;
}

export type SectionName = keyof BenchResults["sections"];

/** What a run with `--only` keeps of the previous results: each other section, with where it came from. */
export function carriedSections(previous: BenchResults, measuredNow: (name: SectionName) => boolean): BenchResults["carried"] {
  const carried: NonNullable<BenchResults["carried"]> = {};
  for (const name of sectionNames) {
    if (measuredNow(name) || previous.sections[name] === undefined) continue;
    carried[name] = previous.carried?.[name] ?? { commit: previous.commit, date: previous.startedAt.slice(0, 10) };
  }
  return carried;
}
export const sectionNames: readonly SectionName[] = [
  "embedding",
  "reindex",
  "fullArticles",
  "relatedLatency",
  "vectorSearch",
  "vectorSearch1m",
  "coldStart",
  "http",
];

/**
 * Where a figure is missing: a section absent or failed, or a number that is not finite
 * (NaN becomes null in JSON). This is all the quick mode checks: that every figure is produced.
 * A section the run was asked to skip (`skipped`) may be absent.
 */
export function findMissingFigures(results: BenchResults, skipped: readonly SectionName[] = []): string[] {
  const missing: string[] = [];
  for (const name of sectionNames) {
    if (results.errors[name] !== undefined) missing.push(`${name}: failed: ${results.errors[name]}`);
    else if (results.sections[name] === undefined && !skipped.includes(name)) missing.push(`${name}: not measured`);
  }
  const walk = (value: unknown, path: string) => {
    if (value === null || (typeof value === "number" && !Number.isFinite(value))) missing.push(`${path}: no value`);
    else if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${path}[${index}]`));
    else if (typeof value === "object") for (const [key, item] of Object.entries(value as object)) walk(item, `${path}.${key}`);
  };
  const { embedding, fullArticles, relatedLatency, vectorSearch, http } = results.sections;
  for (const [path, list] of Object.entries({ "embedding.inputs": embedding?.inputs, fullArticles, relatedLatency, vectorSearch, http })) {
    if (list !== undefined && list.length === 0) missing.push(`sections.${path}: empty`);
  }
  walk(JSON.parse(JSON.stringify(results.sections)), "sections");
  return missing;
}
