import { z } from "zod";
import type { Article } from "../core/article.ts";
import { normalizeTopics } from "../core/topics.ts";
import { isArticleUrl } from "../core/urls/normalize-article-url.ts";
import { detectLanguage } from "./detect-language.ts";
import { htmlToPlainText } from "./html-to-plain-text.ts";

/** Limits that keep one record from exhausting memory or the model's time. */
export const articleLimits = {
  idChars: 512,
  titleChars: 2_000,
  bodyChars: 1_000_000,
  topics: 100,
  topicChars: 200,
  urlChars: 4_096,
} as const;

const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const isoDateTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an ISO 8601 date (`2025-03-02`) or date-time (`2025-03-02T10:15:00Z`, an offset, or no
 * zone meaning UTC) into epoch milliseconds; null when it is not one.
 */
export function parseIsoTimestamp(value: string): number | null {
  // Validating a record parses its date and `toArticle` parses it again: the second is this.
  if (value === lastTimestamp.value) return lastTimestamp.ms;
  const ms = parseTimestamp(value);
  lastTimestamp = { value, ms };
  return ms;
}

let lastTimestamp: { value: string | null; ms: number | null } = { value: null, ms: null };

function parseTimestamp(value: string): number | null {
  const trimmed = value.trim();
  if (isoDate.test(trimmed)) {
    const ms = Date.parse(`${trimmed}T00:00:00Z`);
    // Date.parse accepts 2025-02-30 by rolling over; round-tripping rejects it.
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== trimmed ? null : ms;
  }
  if (!isoDateTime.test(trimmed)) return null;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed);
  const ms = Date.parse(hasZone ? trimmed.replace(" ", "T") : `${trimmed.replace(" ", "T")}Z`);
  return Number.isNaN(ms) ? null : ms;
}

const optionalText = (maxChars: number) =>
  z
    .string()
    .max(maxChars, `must be at most ${maxChars} characters`)
    .nullish()
    .transform((value) => (value == null || value.trim() === "" ? null : value.trim()));

const topicsField = z
  .union([
    z.array(z.string().max(articleLimits.topicChars, `each topic must be at most ${articleLimits.topicChars} characters`)),
    // CSV cells and simple forms give one string: "politics|economy" or "politics; economy".
    z.string().transform((value) => value.split(/[|;]/)),
  ])
  .nullish()
  .transform((topics) => normalizeTopics(topics ?? []))
  .refine((topics) => topics.length <= articleLimits.topics, `at most ${articleLimits.topics} topics`);

/**
 * The one article schema, for files (JSON Lines, JSON, CSV) and the HTTP write API.
 * Snake_case on the wire; unknown fields are ignored so that feeds with extra columns import.
 *
 * @example
 *   articleRecordSchema.parse({ id: "a1", title: "Hello", text: "World", topics: ["News"] })
 */
export const articleRecordSchema = z
  .object({
    id: z
      .union([z.string(), z.number().int()])
      .transform((value) => String(value).trim())
      .pipe(
        z
          .string()
          .min(1, "must not be empty")
          .max(articleLimits.idChars, `must be at most ${articleLimits.idChars} characters`)
          // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: an id must hold none
          .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters"),
      ),
    title: optionalText(articleLimits.titleChars),
    text: optionalText(articleLimits.bodyChars),
    html: optionalText(articleLimits.bodyChars),
    url: z
      .string()
      .trim()
      .max(articleLimits.urlChars, `must be at most ${articleLimits.urlChars} characters`)
      .nullish()
      .transform((value) => (value == null || value === "" ? null : value))
      .refine((value) => value === null || (/^https?:\/\/\S+$/i.test(value) && isArticleUrl(value)), "must be an http(s) URL"),
    topics: topicsField,
    published_at: z
      .string()
      .nullish()
      .transform((value) => (value == null || value.trim() === "" ? null : value.trim()))
      .refine((value) => value === null || parseIsoTimestamp(value) !== null, {
        message: "must be an ISO 8601 date (2025-03-02) or date-time (2025-03-02T10:15:00Z)",
      }),
    lang: optionalText(35),
    source: optionalText(500),
    image_url: z
      .string()
      .trim()
      .max(articleLimits.urlChars, `must be at most ${articleLimits.urlChars} characters`)
      .nullish()
      .transform((value) => (value == null || value === "" ? null : value))
      .refine((value) => value === null || /^https?:\/\/\S+$/i.test(value), "must be an http(s) URL"),
    section: optionalText(200),
    author: optionalText(500),
  })
  .superRefine((record, ctx) => {
    if (record.title === null && record.text === null && record.html === null) {
      ctx.addIssue({ code: "custom", path: ["text"], message: "an article needs a title, text or html" });
    }
  });

export type ArticleRecord = z.input<typeof articleRecordSchema>;

/**
 * The same schema compiled by zod into one generated function (`z.compile`): every record a file
 * or a request gives is validated by it, and the generic walk over the schema was most of the
 * time a re-index of an unchanged feed spends validating. It runs the same transforms and
 * refinements; a record it rejects is parsed again by the runtime parser, so the issues (field
 * and reason) are the runtime's own. `articleRecordSchema` stays the one whose shape the API's
 * description reads.
 */
const compiledRecordSchema = z.compile(articleRecordSchema);

/** Maps a validated record to the core Article (HTML reduced to text; text wins over html). */
export function toArticle(record: z.output<typeof articleRecordSchema>, languageOf: (text: string) => string | null = detectLanguage): Article {
  const body = record.text ?? (record.html !== null ? htmlToPlainText(record.html) : "");
  return {
    id: record.id,
    title: record.title ?? "",
    body,
    url: record.url,
    topics: record.topics,
    publishedAt: record.published_at,
    publishedMs: record.published_at === null ? null : parseIsoTimestamp(record.published_at),
    // An article without a language gets the one its text is in, when that can be told: a
    // related query for it is then ranked by words alone if the model cannot read it.
    lang: record.lang ?? languageOf(`${record.title ?? ""}\n${body}`),
    source: record.source,
    imageUrl: record.image_url,
    section: record.section,
    author: record.author,
  };
}

/** One problem with one field of one record, as reported to the person importing. */
export interface FieldIssue {
  field: string;
  reason: string;
}

export type ParsedArticle = { ok: true; article: Article } | { ok: false; issues: FieldIssue[]; id: string | null };

/**
 * Validates an unknown value as an article, returning every field problem rather than throwing.
 * `languageOf` tells the language of a record without one (default `detectLanguage`; a memo of it
 * gives the same answers at less cost).
 */
export function parseArticle(value: unknown, languageOf?: (text: string) => string | null): ParsedArticle {
  const result = compiledRecordSchema.safeParse(value);
  if (result.success) return { ok: true, article: toArticle(result.data, languageOf) };
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join(".") : "(record)",
    reason: issue.message,
  }));
  const rawId = typeof value === "object" && value !== null ? (value as Record<string, unknown>).id : undefined;
  const id = typeof rawId === "string" || typeof rawId === "number" ? String(rawId) : null;
  return { ok: false, issues, id };
}
