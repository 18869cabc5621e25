import { describe, expect, it } from "vitest";
import { z } from "zod";
import { articleLimits, articleRecordSchema, parseArticle, toArticle } from "../../src/articles/article-schema.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";

/**
 * `parseArticle` validates with the zod-compiled schema. A generated validator that accepted what
 * the schema's runtime rejects (or shaped a field differently) would index bad records silently,
 * so every answer is checked against the runtime parser of the same schema: the same verdict, the
 * same article, the same issues (field and reason) in the same order.
 */
function runtimeAnswer(value: unknown) {
  const result = articleRecordSchema.safeParse(value);
  if (result.success) return { ok: true, article: toArticle(result.data, () => "en") };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({ field: issue.path.length > 0 ? issue.path.join(".") : "(record)", reason: issue.message })),
  };
}

const long = (chars: number) => "x".repeat(chars);

/** Values a field may be given, good and bad: each field of a sample record is drawn from its list. */
const choices: Record<string, unknown[]> = {
  id: [
    "a-1",
    " padded ",
    "",
    "   ",
    42,
    -7,
    4.5,
    Number.NaN,
    "tab\there",
    "\u007f",
    long(articleLimits.idChars),
    long(articleLimits.idChars + 1),
    null,
    true,
    ["a"],
    undefined,
  ],
  title: ["A title", "  spaced  ", "", "   ", null, undefined, 7, long(articleLimits.titleChars), long(articleLimits.titleChars + 1), { text: "x" }],
  text: ["Body text.", "", " \n ", null, undefined, 3, ["x"], "Ünïcödé ﬁ text"],
  html: ["<p>Hi &amp; bye</p>", "", null, undefined, 9],
  url: [
    "https://example.org/a",
    " https://example.org/b ",
    "http://example.org/c?x=1",
    "ftp://example.org/d",
    "https://",
    "https://exa mple.org",
    "",
    "   ",
    null,
    undefined,
    5,
    `https://example.org/${long(articleLimits.urlChars)}`,
  ],
  topics: [
    ["Politics", " Sport ", "sport", ""],
    [],
    "Politics|Economy; Trade",
    "",
    [1, 2],
    ["ok", null],
    Array.from({ length: articleLimits.topics + 1 }, (_value, index) => `t${index}`),
    Array.from({ length: articleLimits.topics }, (_value, index) => `t${index}`),
    [long(articleLimits.topicChars + 1)],
    null,
    undefined,
    7,
  ],
  published_at: ["2025-03-02", " 2025-03-02T10:15:00Z ", "2025-03-02 10:15", "2025-02-30", "March 2", "", null, undefined, 20250302],
  lang: ["en", " de ", "", null, undefined, long(36), 1],
  source: ["Wire", "", null, undefined, long(501), false],
  image_url: ["https://example.org/i.jpg", " http://example.org/j.png ", "javascript:alert(1)", "", null, undefined, 3],
  section: ["World", "", null, undefined, long(201)],
  author: ["A. Reporter", null, undefined, long(501)],
  extra: ["ignored", undefined],
};

function sampleRecords(count: number): unknown[] {
  const random = mulberry32(614);
  const records: unknown[] = [null, 5, "text", [1, 2], {}, { id: "only-id" }];
  while (records.length < count) {
    const record: Record<string, unknown> = {};
    for (const [field, values] of Object.entries(choices)) {
      // Most fields usually valid, so that records both pass and fail, often on one field alone.
      const value = random() < 0.6 ? values[0] : values[Math.floor(random() * values.length)];
      if (value !== undefined || random() < 0.5) record[field] = value;
    }
    records.push(record);
  }
  return records;
}

describe("the compiled article schema", () => {
  const records = sampleRecords(4_000);

  it("is compiled: zod generates its fast path rather than falling back to the runtime walk", () => {
    expect(() => z.compile(articleRecordSchema, { strict: true })).not.toThrow();
  });

  it("answers every record exactly as the schema's runtime parser does", () => {
    let accepted = 0;
    for (const record of records) {
      const compiled = parseArticle(record, () => "en");
      const expected = runtimeAnswer(record);
      expect({ record, answer: compiled.ok ? { ok: true, article: compiled.article } : { ok: false, issues: compiled.issues } }).toEqual({
        record,
        answer: expected,
      });
      if (compiled.ok) accepted++;
    }
    // The sample must exercise both verdicts, or the comparison above proves little.
    expect(accepted).toBeGreaterThan(records.length / 10);
    expect(accepted).toBeLessThan(records.length * 0.9);
  });
});
