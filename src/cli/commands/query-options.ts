import type { ScoredCandidate } from "../../core/related/rank-related.ts";
import type { RelatedRequest } from "../../engine/kindred-engine.ts";
import { parseParameters } from "../../wire/parse-parameters.ts";
import { presentResult } from "../../wire/present.ts";
import { relatedQuerySchema, toRankingOptions, toRelatedFilters, toRelativeDates } from "../../wire/related-query.ts";
import { formatTable, type TableColumn, terminalWidth } from "../text-table.ts";

/** Flags shared by `related` and `similar`: the same filters as the HTTP API. */
export const queryOptions = {
  k: { type: "string" },
  topics: { type: "string", multiple: true },
  "exclude-topics": { type: "string", multiple: true },
  since: { type: "string" },
  until: { type: "string" },
  exclude: { type: "string", multiple: true },
  mode: { type: "string" },
  "fold-duplicates": { type: "string" },
  diversity: { type: "string" },
  "half-life-days": { type: "string" },
  "boost-topics": { type: "string", multiple: true },
  "min-cosine": { type: "string" },
  "published-before": { type: "string" },
  "published-after": { type: "string" },
  explain: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const commonQueryOptionsHelp = `  --k N                   how many results (1-100, default 10)
  --topics A,B            only articles with any of these topics
  --exclude-topics A,B    no articles with any of these topics
  --since DATE            published on or after DATE (ISO 8601)
  --until DATE            published on or before DATE (a date includes the whole day)
  --exclude ID,ID         leave these article ids out`;
const rankingOptionsHelp = `  --mode M                hybrid (default: embeddings and words fused), dense or lexical
  --fold-duplicates B     fold copies of one text into one result (default true)
  --diversity X           0 (default) to 1: trade relevance for variety (MMR)
  --half-life-days N      favour recent articles: a result loses half its recency credit every N days
  --boost-topics A,B      favour articles with any of these topics
  --min-cosine X          leave out results whose embedding cosine is below X (-1 to 1)
  --explain               show what each score is made of
  --json                  print JSON instead of a table`;

/** Help for \`related ID\`: a stored article has a date, so bounds relative to it work. */
export const queryOptionsHelp = `Query options:
${commonQueryOptionsHelp}
  --published-before D    published at or before D: "article" (the query article's time) or a date
  --published-after D     published at or after D: "article" or a date
${rankingOptionsHelp}`;

/** Help for \`similar\`: a free text has no date, so no bounds relative to it. */
export const textQueryOptionsHelp = `Query options:
${commonQueryOptionsHelp}
${rankingOptionsHelp}`;

/** The query flags of \`similar\`: those of \`related\` without the bounds relative to the query article. */
export const textQueryOptions = Object.fromEntries(Object.entries(queryOptions).filter(([name]) => !name.startsWith("published-"))) as Omit<
  typeof queryOptions,
  "published-before" | "published-after"
>;

const splitList = (values: string[] | undefined) =>
  (values ?? [])
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter(Boolean);

/** Validates query flags with the HTTP schema, so CLI and API accept exactly the same. */
export function toRelatedRequest(values: Record<string, unknown>): RelatedRequest {
  const query = parseParameters(
    relatedQuerySchema,
    {
      ...(values.k === undefined ? {} : { k: values.k }),
      topics: splitList(values.topics as string[] | undefined),
      exclude_topics: splitList(values["exclude-topics"] as string[] | undefined),
      ...(values.since === undefined ? {} : { since: values.since }),
      ...(values.until === undefined ? {} : { until: values.until }),
      exclude: splitList(values.exclude as string[] | undefined),
      boost_topics: splitList(values["boost-topics"] as string[] | undefined),
      ...optional("mode", values.mode),
      ...optional("fold_duplicates", values["fold-duplicates"]),
      ...optional("diversity", values.diversity),
      ...optional("half_life_days", values["half-life-days"]),
      ...optional("min_cosine", values["min-cosine"]),
      ...optional("published_before", values["published-before"]),
      ...optional("published_after", values["published-after"]),
      ...(values.explain === true ? { explain: "true" } : {}),
    },
    "query",
  );
  const { filters, relativeDates } = toRelativeDates(query, toRelatedFilters(query));
  return { k: query.k, filters, relativeDates, ranking: toRankingOptions(query) };
}

const optional = (name: string, value: unknown) => (value === undefined ? {} : { [name]: value });

/**
 * Prints results as a table with a header (rank, score, cosine, date, id, title fitted to the
 * terminal, URL), or JSON with `--json`. With `--explain`, each result's parts follow its row.
 */
export function printResults(
  results: readonly (ScoredCandidate & Parameters<typeof presentResult>[0])[],
  asJson: boolean,
  header: Record<string, unknown> = {},
): void {
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ ...header, results: results.map(presentResult) }, null, 2)}\n`);
    return;
  }
  if (results.length === 0) {
    process.stdout.write("no related articles match\n");
    return;
  }
  const columns: TableColumn[] = [
    { header: "#", align: "right" },
    { header: "score", align: "right" },
    { header: "cosine", align: "right" },
    { header: "date" },
    { header: "id" },
    { header: "title", flexible: true },
    { header: "url" },
  ];
  const rows = results.map((result, index) => [
    String(index + 1),
    result.score.toFixed(3),
    result.cosine === undefined ? "" : result.cosine.toFixed(3),
    result.entry.publishedAt?.slice(0, 10) ?? "",
    result.entry.id,
    result.entry.title,
    result.entry.url ?? "",
  ]);
  const lines = formatTable(columns, rows, terminalWidth()).split("\n");
  process.stdout.write(`${lines[0]}\n`);
  results.forEach((result, index) => {
    process.stdout.write(`${lines[index + 1]}\n`);
    const why = result.explanation;
    if (why !== undefined) {
      const parts = Object.entries(why.parts)
        .filter(([, value]) => value !== 0)
        .map(([name, value]) => `${name} ${value.toFixed(3)}`);
      const extra = [
        why.sharedTerms.length > 0 ? `terms: ${why.sharedTerms.join(", ")}` : "",
        why.sharedTopics.length > 0 ? `topics: ${why.sharedTopics.join(", ")}` : "",
        why.folded.length > 0 ? `folded: ${why.folded.join(", ")}` : "",
      ].filter(Boolean);
      process.stdout.write(`     = ${parts.join(" + ")}  (bm25 ${why.bm25.toFixed(2)})${extra.length > 0 ? `; ${extra.join("; ")}` : ""}\n`);
    }
  });
}
