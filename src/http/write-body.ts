import type { FieldIssue, ParsedArticle } from "../articles/article-schema.ts";
import { parseArticle } from "../articles/article-schema.ts";
import type { Article } from "../core/article.ts";
import { KindredError } from "../core/errors.ts";
import { parseParameters } from "../wire/parse-parameters.ts";
import { articleBatchBodySchema, maxBatchArticles, parseArticleBody } from "./article-bodies.ts";

/**
 * What a write route makes of its JSON body. The same functions run on the main thread for a
 * small body and on the body-parser thread for a large one (write-body-parser.ts), so a body
 * means the same wherever it is parsed.
 */
export type WriteBodyKind = { kind: "json" } | { kind: "article"; id: string } | { kind: "batch" };

/** One record of a batch, validated on its own. */
export type BatchRecord = ParsedArticle;

/** Decodes a body as `Request.text()` does (UTF-8, a leading BOM dropped, bad bytes as U+FFFD) and parses it as JSON. */
export function decodeJsonBody(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new KindredError("invalid_body", "The request body is not valid JSON.", { parameter: "(body)" });
  }
}

/** The body of a PUT: one valid article whose id is the path's. */
export function parseArticleWriteBody(raw: unknown, id: string): Article {
  const record = parseArticleBody(raw, id, "(an article)");
  const article = validArticle({ ...record, id }, id);
  if (article.id !== id) throw new KindredError("invalid_parameter", `The id in the path ("${id}") must not begin or end with spaces.`, { parameter: "id" });
  return article;
}

/**
 * The body of a batch: `{"articles": [...]}` of at most `maxBatchArticles`; each record is
 * handed to `onRecord` as it is validated (text cleaned, HTML reduced, language told).
 */
export function parseBatchWriteBody(raw: unknown, onRecord: (record: BatchRecord, index: number) => void): number {
  const { articles: records } = parseParameters(articleBatchBodySchema, raw, "body");
  if (records.length > maxBatchArticles) {
    throw new KindredError("batch_too_large", `A batch holds at most ${maxBatchArticles} articles; this one has ${records.length}. Split it.`, {
      limit: maxBatchArticles,
    });
  }
  records.forEach((record, index) => onRecord(parseArticle(record), index));
  return records.length;
}

/** Validates with the one article schema; a 400 problem lists every field problem. */
export function validArticle(record: Record<string, unknown>, id: string): Article {
  const parsed = parseArticle(record);
  if (parsed.ok) return parsed.article;
  const reasons = parsed.issues.map((issue: FieldIssue) => `${issue.field}: ${issue.reason}`).join("; ");
  throw new KindredError("invalid_article", `Article "${id}" is invalid: ${reasons}.`, { parameter: parsed.issues[0]!.field, errors: parsed.issues });
}
