import type { RelatedRequest } from "../../engine/kindred-engine.ts";
import type { ScoredCandidate } from "../../core/related/rank-related.ts";
import { parseParameters, relatedQuerySchema, toRelatedFilters } from "../../http/wire-schemas.ts";
import { presentResult } from "../../http/present.ts";

/** Flags shared by `related` and `similar`: the same filters as the HTTP API. */
export const queryOptions = {
  k: { type: "string" },
  topics: { type: "string", multiple: true },
  "exclude-topics": { type: "string", multiple: true },
  since: { type: "string" },
  until: { type: "string" },
  exclude: { type: "string", multiple: true },
  json: { type: "boolean" },
} as const;

export const queryOptionsHelp = `Query options:
  --k N                   how many results (1-100, default 10)
  --topics A,B            only articles with any of these topics
  --exclude-topics A,B    no articles with any of these topics
  --since DATE            published on or after DATE (ISO 8601)
  --until DATE            published on or before DATE (a date includes the whole day)
  --exclude ID,ID         leave these article ids out
  --json                  print JSON instead of a table`;

const splitList = (values: string[] | undefined) => (values ?? []).flatMap((value) => value.split(",")).map((value) => value.trim()).filter(Boolean);

/** Validates query flags with the HTTP schema, so CLI and API accept exactly the same. */
export function toRelatedRequest(values: Record<string, unknown>): RelatedRequest {
  const query = parseParameters(
    relatedQuerySchema,
    {
      ...(values["k"] === undefined ? {} : { k: values["k"] }),
      topics: splitList(values["topics"] as string[] | undefined),
      exclude_topics: splitList(values["exclude-topics"] as string[] | undefined),
      ...(values["since"] === undefined ? {} : { since: values["since"] }),
      ...(values["until"] === undefined ? {} : { until: values["until"] }),
      exclude: splitList(values["exclude"] as string[] | undefined),
    },
    "query",
  );
  return { k: query.k, filters: toRelatedFilters(query) };
}

/** Prints results as an aligned table, or JSON with `--json`. */
export function printResults(results: readonly ScoredCandidate[], asJson: boolean, header: Record<string, unknown> = {}): void {
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ ...header, results: results.map(presentResult) }, null, 2)}\n`);
    return;
  }
  if (results.length === 0) {
    process.stdout.write("no related articles match\n");
    return;
  }
  results.forEach((result, index) => {
    const date = result.entry.publishedAt?.slice(0, 10) ?? "          ";
    const title = result.entry.title.length > 100 ? `${result.entry.title.slice(0, 99)}…` : result.entry.title;
    process.stdout.write(`${String(index + 1).padStart(3)}  ${result.score.toFixed(3)}  ${date}  ${result.entry.id}  ${title}\n`);
  });
}
